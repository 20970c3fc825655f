"""Small text helpers shared by models, import and export."""
import hashlib


def content_hash(text: str) -> str:
    """SHA-256 of the UTF-8 text: lets an import recognise an article it already has."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
