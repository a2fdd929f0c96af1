#!/usr/bin/env python3
"""Build dist/atomic.pyz: atomic as one file that any Python 3.8+ runs, nothing to install.

    python3 scripts/build_pyz.py [--output PATH] [--no-compile]

The archive is made with the standard library's zipapp: atomic.py, everything under providers/
(modules and data such as the model catalogue; caches and editor leftovers excepted) and a
__main__.py that runs atomic. Its first line is `#!/usr/bin/env python3`, so `./atomic.pyz key
openai` works as well as `python3 atomic.pyz key openai`.

Bytecode for the Python that builds it goes in beside each module (zipimport reads `x.pyc`
next to `x.py`): the same minor version starts about a third faster, any other compiles the
sources as usual. The same sources and Python give the same bytes: files go in sorted, with one
timestamp ($SOURCE_DATE_EPOCH, else 2000-01-01) and one mode. Prints the archive's path on stdout.
"""
import argparse
import os
import py_compile
import shutil
import sys
import tempfile
import zipapp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "dist", "atomic.pyz")
INTERPRETER = "/usr/bin/env python3"
TIMESTAMP = 946684800  # 2000-01-01: zip cannot store dates before 1980 in any time zone

MAIN = '''\
"""Run atomic from this archive (built by scripts/build_pyz.py)."""
import sys

import atomic

sys.exit(atomic.main())
'''


def wanted(name):
    """Files that go into the archive: no bytecode caches, hidden files or editor backups."""
    return not (name == "__pycache__" or name.startswith(".") or name.endswith((".pyc", ".pyo", "~")))


def stage(into):
    """Copy what the archive holds into the folder `into`; the number of files copied."""
    count = 0
    shutil.copyfile(os.path.join(REPO, "atomic.py"), os.path.join(into, "atomic.py"))
    with open(os.path.join(into, "__main__.py"), "w", encoding="utf-8") as f:
        f.write(MAIN)
    count += 2
    source_root = os.path.join(REPO, "providers")
    for folder, dirs, files in os.walk(source_root):
        dirs[:] = sorted(d for d in dirs if wanted(d))
        target = os.path.join(into, "providers", os.path.relpath(folder, source_root))
        os.makedirs(target, exist_ok=True)
        for name in sorted(f for f in files if wanted(f)):
            shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
            count += 1
    if not os.path.exists(os.path.join(into, "providers", "_models", "catalog.json")):
        raise SystemExit("build_pyz: providers/_models/catalog.json is missing; the archive would have no models")
    return count


def normalise(folder, timestamp):
    """One mtime and mode for everything, so the archive depends only on the contents."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
            os.utime(os.path.join(root, name), (timestamp, timestamp))
        os.chmod(root, 0o755)
        os.utime(root, (timestamp, timestamp))


def compile_all(folder):
    """x.pyc beside every x.py, recording the (normalised) source time zipimport checks it against."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                py_compile.compile(path, cfile=path + "c", dfile=os.path.relpath(path, folder), doraise=True)


def build(output, interpreter=INTERPRETER, bytecode=True):
    """Write the archive to `output` (atomically: a half-written pyz never replaces a good one)."""
    output = os.path.abspath(output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    timestamp = int(os.environ.get("SOURCE_DATE_EPOCH") or TIMESTAMP)
    with tempfile.TemporaryDirectory(prefix="atomic-pyz-") as work:
        source = os.path.join(work, "atomic")
        os.mkdir(source)
        count = stage(source)
        normalise(source, max(timestamp, TIMESTAMP))
        if bytecode:
            compile_all(source)
            normalise(source, max(timestamp, TIMESTAMP))
        partial = os.path.join(os.path.dirname(output), ".%s.tmp" % os.path.basename(output))
        zipapp.create_archive(source, partial, interpreter=interpreter, compressed=True)
        os.chmod(partial, 0o755)
        os.replace(partial, output)
    return output, count


def version():
    sys.path.insert(0, REPO)
    from providers import __version__

    return __version__


def main(argv=None):
    parser = argparse.ArgumentParser(prog="build_pyz.py", description="Build atomic as one runnable file.")
    parser.add_argument("--output", "-o", default=DEFAULT_OUTPUT, help="where to write it (default: dist/atomic.pyz)")
    parser.add_argument("--python", default=INTERPRETER, metavar="INTERPRETER",
                        help="the #! line's interpreter (default: %s)" % INTERPRETER)
    parser.add_argument("--no-compile", action="store_true", help="leave the bytecode out (a smaller file)")
    args = parser.parse_args(argv)
    path, count = build(args.output, args.python, bytecode=not args.no_compile)
    print("built %s: atomic %s, %d files%s, %d KB" % (path, version(), count,
                                                     "" if args.no_compile else " (+ Python %d.%d bytecode)"
                                                     % sys.version_info[:2], os.path.getsize(path) // 1024),
          file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
