#!/usr/bin/env python3
"""Writes the seed archives of fuzz-importer into corpus/importer/.

Each seed is a small tar.gz that a hostile tenant could hand to the importer: names that climb
out of the home, writes through links, links to host files, devices, setuid files and a cut
stream, beside two well-formed archives. The unit tests build the same cases with libarchive;
these files only give the fuzzer a start.
"""

import gzip
import io
import json
import pathlib
import tarfile

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "importer"


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", uid=0, device=(0, 0)):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid = info.gid = uid
    info.mtime = 1700000000
    info.linkname = link
    info.devmajor, info.devminor = device
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def archive(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    # A fixed mtime keeps the files identical from one run of this script to the next.
    return gzip.compress(raw.getvalue(), mtime=0)


def home_root():
    return entry("home/", tarfile.DIRTYPE, mode=0o700)


def manifest():
    return entry("manifest.json", data=json.dumps({"saas_user_id": "user:1"}).encode())


SEEDS = {
    "valid-home": [manifest(), home_root(), entry("home/sandboxes/", tarfile.DIRTYPE),
                   entry("home/notes.txt", data=b"hello\n"), entry("home/web", tarfile.SYMTYPE, link="sandboxes"),
                   entry("home/notes-link", tarfile.LNKTYPE, link="home/notes.txt")],
    "escape-parent": [home_root(), entry("../../escape", data=b"x")],
    "escape-inside-home": [home_root(), entry("home/../../escape", data=b"x")],
    "absolute-name": [home_root(), entry("/abs/file", data=b"x")],
    "write-through-link": [home_root(), entry("home/a", tarfile.SYMTYPE, link="/etc/cron.d"),
                           entry("home/a/evil", data=b"* * * * * root sh\n")],
    "file-over-link": [home_root(), entry("home/x", tarfile.SYMTYPE, link="/etc/shadow"),
                       entry("home/x", data=b"overwritten")],
    "hardlink-absolute": [home_root(), entry("home/shadow", tarfile.LNKTYPE, link="/etc/shadow")],
    "hardlink-parent": [home_root(), entry("home/shadow", tarfile.LNKTYPE, link="../../etc/shadow")],
    "hardlink-to-symlink": [home_root(), entry("home/l", tarfile.SYMTYPE, link="/etc/shadow"),
                            entry("home/h", tarfile.LNKTYPE, link="home/l")],
    "setuid-root-shell": [home_root(), entry("home/sh", data=b"#!/bin/sh\n", mode=0o4755, uid=0)],
    "char-device": [home_root(), entry("home/null", tarfile.CHRTYPE, mode=0o666, device=(1, 1)),
                    entry("home/after", data=b"x")],
    "fifo": [home_root(), entry("home/pipe", tarfile.FIFOTYPE, mode=0o600), entry("home/after", data=b"x")],
}


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, entries in SEEDS.items():
        (CORPUS / f"{name}.tar.gz").write_bytes(archive(entries))
    big = bytes((i * 7919) % 251 for i in range(64 * 1024))
    whole = archive([home_root(), entry("home/big", data=big)])
    (CORPUS / "truncated.tar.gz").write_bytes(whole[: len(whole) // 2])


if __name__ == "__main__":
    main()
