"""One small module per export format. Each writer takes the record iterator and yields bytes."""
