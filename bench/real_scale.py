#!/usr/bin/env python3
"""Make an archive of real articles at the full archive's size from the shared sample.

The sample holds 9,107 real articles (all Exchange ones plus every 20th other); the full
archive has 60,335. kbgen's synthetic articles are shorter than real ones (median ~2.5 KB vs
the sample's ~9 KB mean) and have fewer header fields, so this makes a second stand-in:
COPIES copies of the sample's articles, copy c renumbered by a bijection of the six-digit
article numbers (n -> (n - 100000 + c * 123457) mod 900000 + 100000), applied to the number
in every path, permalink, title, header and `Q123456` mention, so each copy cross-links within
itself the way the sample does. Numbers of different copies may collide (a few percent of
articles): kbsite warns and links mentions to one of them, as it would in a real archive.

  python3 bench/real_scale.py [OUT] [COPIES]    # default bench/out/real-60k, 7 copies

Deterministic: the same sample and COPIES give the same bytes. The product index pages (`id/`)
and layouts are copied once; the site.toml is bench/sample-site.toml, as bench/run.sh's.
"""
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "..", "shared", "kbarchive-sample", "site")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "out", "real-60k")
COPIES = int(sys.argv[2]) if len(sys.argv) > 2 else 7

SITE_TOML = os.path.join(HERE, "sample-site.toml")

NUMBER = re.compile(rb"(?<![0-9A-Za-z])([QqKk][Bb]?)([1-9][0-9]{5})(?![0-9])")


# A link or permalink to an article's folder: its group is the number's first three digits.
GROUP = re.compile(rb"/kb/[0-9]{3}/Q([0-9]{6})")


def regroup(m):
    return b"/kb/" + m.group(1)[:3] + b"/Q" + m.group(1)


def renumber(n, copy):
    return (n - 100000 + copy * 123457) % 900000 + 100000


def main():
    if not os.path.isdir(SAMPLE):
        sys.exit(f"no sample at {SAMPLE}")
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name in os.listdir(SAMPLE):
        if name != "kb":
            src = os.path.join(SAMPLE, name)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(OUT, name))
    shutil.copy(SITE_TOML, os.path.join(OUT, "site.toml"))
    articles = []
    kb = os.path.join(SAMPLE, "kb")
    for group in sorted(os.listdir(kb)):
        for art in sorted(os.listdir(os.path.join(kb, group))):
            path = os.path.join(kb, group, art, "README.md")
            if os.path.isfile(path) and re.fullmatch(r"Q[0-9]{6}", art):
                with open(path, "rb") as f:
                    articles.append((int(art[1:]), f.read()))
    written = 0
    for copy in range(COPIES):
        def swap(m):
            return m.group(1) + str(renumber(int(m.group(2)), copy)).encode()

        for number, text in articles:
            new = renumber(number, copy)
            folder = os.path.join(OUT, "kb", f"{new:06d}"[:3], f"Q{new:06d}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "README.md"), "wb") as f:
                f.write(GROUP.sub(regroup, NUMBER.sub(swap, text)))
            written += 1
    print(f"{written} articles ({COPIES} copies of {len(articles)}) in {OUT}")


if __name__ == "__main__":
    main()
