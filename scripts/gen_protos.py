"""Generate the Python gRPC code for everything under protos/.

The generated modules live inside the package, under ``backendsd.proto``, in a
tree that mirrors protos/. protoc writes imports relative to the proto root
(``from backendsd.v1 import backends_pb2``), which would resolve against the
top-level ``backendsd`` package, so this script rewrites them to
``backendsd.proto.<path>``.

Usage: python scripts/gen_protos.py [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

REPO_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "protos"
DEFAULT_OUT = REPO_ROOT / "src" / "backendsd" / "proto"
GENERATED_PACKAGE = "backendsd.proto"

# Bundled with grpcio-tools: google/protobuf/*.proto.
WELL_KNOWN_PROTOS = Path(grpc_tools.__file__).resolve().parent / "_proto"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"directory to write the generated package to (default: {DEFAULT_OUT})",
    )
    args = parser.parse_args()

    generate(args.out)
    return 0


def generate(out: Path) -> None:
    """Regenerate every module under ``out``, replacing what was there."""
    proto_files = sorted(PROTO_ROOT.rglob("*.proto"))
    if not proto_files:
        raise SystemExit(f"no .proto files found under {PROTO_ROOT}")

    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        _run_protoc(proto_files, scratch_dir)
        _rewrite_imports(scratch_dir, _top_level_names(proto_files))
        _add_init_files(scratch_dir)

        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(scratch_dir, out)


def _run_protoc(proto_files: list[Path], out: Path) -> None:
    arguments = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={WELL_KNOWN_PROTOS}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *(str(path.relative_to(PROTO_ROOT)) for path in proto_files),
    ]
    status = protoc.main(arguments)
    if status != 0:
        raise SystemExit(f"protoc failed with exit status {status}")


def _top_level_names(proto_files: list[Path]) -> set[str]:
    return {path.relative_to(PROTO_ROOT).parts[0] for path in proto_files}


def _rewrite_imports(root: Path, top_level_names: set[str]) -> None:
    alternatives = "|".join(sorted(re.escape(name) for name in top_level_names))
    pattern = re.compile(rf"^(from|import) ({alternatives})([. ])", re.MULTILINE)
    replacement = rf"\1 {GENERATED_PACKAGE}.\2\3"

    for path in sorted(root.rglob("*.py*")):
        text = path.read_text()
        path.write_text(pattern.sub(replacement, text))


def _add_init_files(root: Path) -> None:
    (root / "__init__.py").write_text('"""Code generated from protos/ by scripts/gen_protos.py; do not edit."""\n')
    for directory in sorted(p for p in root.rglob("*") if p.is_dir()):
        (directory / "__init__.py").touch()


if __name__ == "__main__":
    sys.exit(main())
