"""Unpack the tutorial of MLXP 1.0.5 (main.py, core_app.py, read.py) from its sdist on PyPI.

tests/test_mlxp_tutorial.py runs those files unchanged with mlxp and with MLXP 1.0.5. The
archive is checked against its SHA-256 before anything is unpacked, and only regular files
under ``mlxp-1.0.5/tutorial/`` are written. Usage: python3 .ci/fetch-mlxp105-tutorial.py DEST
"""

import hashlib
import io
import os
import sys
import tarfile
import urllib.request

URL = ("https://files.pythonhosted.org/packages/e5/a7/"
       "4334068fc6ab5582d06dd63f42a07cef43ddd988de1ae3d2b643571f0f5b/mlxp-1.0.5.tar.gz")
SHA256 = "77159aafd0530a5641ca26d1ecb48a9c812ed23a553e9f665a0ea79e833034d3"
PREFIX = "mlxp-1.0.5/tutorial/"


def main(destination: str) -> int:
    with urllib.request.urlopen(URL, timeout=120) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        print(f"fetch-mlxp105-tutorial: {URL} has SHA-256 {digest}, expected {SHA256}",
              file=sys.stderr)
        return 1
    os.makedirs(destination, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            name = member.name[len(PREFIX):]
            if not member.name.startswith(PREFIX) or not member.isfile() or "/" in name:
                continue
            with archive.extractfile(member) as source, open(os.path.join(destination, name), "wb") as target:
                target.write(source.read())
    print(f"fetch-mlxp105-tutorial: {sorted(os.listdir(destination))} in {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
