"""Zip archives written as a stream: the brat and csv_tables writers' container."""
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry: the same data gives the same bytes


class Sink:
    """A write-only file for ZipFile: what it writes is taken out after each piece and streamed.

    Without tell() and seek(), ZipFile writes each entry's sizes after its data (data descriptors)
    instead of going back to the header, so nothing is held but the current entry.
    """

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def entry(name: str, date_time: tuple = EPOCH, size: int | None = None) -> zipfile.ZipInfo:
    """A deflated, world-readable entry; `size`, when known, lets ZipFile choose ZIP64 (past 4 GB) up front."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if size is not None:
        info.file_size = size
    return info
