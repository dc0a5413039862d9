"""A CycloneDX SBOM and a third-party licence notice file for one artifact of `make dist`.

    sbom.py --artifact FILE_NAME --package CRATE --target TRIPLE [--target …] [--sbom OUT.cdx.json]
            [--notices OUT.txt] [--debian PACKAGE ...]

The components are the crates compiled into the artifact: `cargo tree -p CRATE --target TRIPLE -e normal`
resolves features for that package alone (as `cargo build -p` does), so the WASI component lists RustCrypto and
not aws-lc, which other workspace members enable. Proc-macro crates run at compile time and are not in the
artifact; they are left out. `--debian` adds files copied from Debian packages (the image's CA certificates).
`--package none`: an artifact with no compiled code (the npm main package, the WIT file).

cargo-cyclonedx and cargo-about do this from Rust, but each is a `cargo install` (minutes on 2 cores, in every
fresh checkout); CycloneDX's own Python library (cyclonedx-python-lib) writes the document here (tests/dist validates it),
and cargo's own resolver (`cargo tree`, `cargo metadata`) gives the dependency set."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

ROOT = Path(__file__).resolve().parents[2]
LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|UNLICENSE)([-._].*)?$", re.I)


def crates(package: str, targets: list[str]) -> tuple[list[tuple[str, str, str, str, bool]], set[tuple[str, str]]]:
    """(name, version, licence expression, repository, from the workspace) of every crate compiled
    into `package` for any of `targets`, the package itself first; and the (dependent, dependency) edges
    between them, as `name@version`."""
    target_args = [arg for target in targets for arg in ("--target", target)]
    out = subprocess.run(["cargo", "tree", "-q", "-p", package, *target_args, "-e", "normal", "--prefix", "depth",
                          "-f", "{p}\t{l}\t{r}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found, seen, edges, parents = [], set(), set(), []
    for line in out.splitlines():
        if not line.strip():
            continue  # the blank line between two targets' trees
        depth = int(re.match(r"\d+", line).group())
        spec, licence, repository = (line[len(str(depth)):].split("\t") + ["", ""])[:3]
        repository = repository.removesuffix(" (*)").strip()
        licence = licence.removesuffix(" (*)").strip()
        del parents[depth:]
        if "(proc-macro)" in spec:
            parents.append(None)  # its own dependencies are compile-time too
            continue
        words = spec.removesuffix(" (*)").split()
        name, version = words[0], words[1].lstrip("v")
        ref = f"{name}@{version}"
        if parents and parents[-1] is None:
            parents.append(None)
            continue
        if parents:
            edges.add((parents[-1], ref))
        parents.append(ref)
        local = len(words) > 2 and words[2].startswith(f"({ROOT}")
        if (name, version) not in seen:
            seen.add((name, version))
            found.append((name, version, licence, repository, local))
    return found, edges


def source_dirs() -> dict[tuple[str, str], Path]:
    meta = json.loads(subprocess.run(["cargo", "metadata", "-q", "--format-version", "1", "--locked"], cwd=ROOT,
                                     capture_output=True, text=True, check=True).stdout)
    return {(p["name"], p["version"]): Path(p["manifest_path"]).parent for p in meta["packages"]}


def debian_package(name: str) -> tuple[str, str]:
    """(version, licence) of an installed Debian package."""
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name], capture_output=True, text=True,
                             check=True).stdout
    return version, "MPL-2.0" if name == "ca-certificates" else "NOASSERTION"


def write_sbom(path: Path, artifact: str, version: str, found: list, edges: set, debian: list[str]) -> None:
    # The commit's time and a serial number derived from the artifact and the commit: the same
    # checkout writes the same document (the image that carries it stays reproducible).
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True).stdout.strip() or 0)
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"oauthbearer/{artifact}/{version}/{revision}"))
    bom.metadata.timestamp = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    root = Component(name=artifact, version=version, type=ComponentType.APPLICATION,
                     licenses=[LicenseExpression("Apache-2.0")], bom_ref=artifact)
    bom.metadata.component = root
    # This project's own crates are the artifact itself: their edges start at it.
    local = {f"{name}@{v}" for name, v, _l, _r, is_local in found if is_local}
    components = {}
    for name, crate_version, licence, repository, is_local in found:
        if is_local:
            continue
        component = Component(name=name, version=crate_version, type=ComponentType.LIBRARY,
                              purl=PackageURL("cargo", name=name, version=crate_version),
                              bom_ref=f"pkg:cargo/{name}@{crate_version}",
                              licenses=[LicenseExpression(licence)] if licence else [])
        if repository:
            component.external_references.add(ExternalReference(type=ExternalReferenceType.VCS,
                                                                 url=XsUri(repository)))
        bom.components.add(component)
        components[f"{name}@{crate_version}"] = component
    direct = defaultdict(set)
    for parent, child in edges:
        if child in components:
            direct[artifact if parent in local else parent].add(components[child])
    bom.register_dependency(root, direct.pop(artifact, set()))
    for parent, children in direct.items():
        if parent in components:
            bom.register_dependency(components[parent], children)
    for name in debian:
        deb_version, licence = debian_package(name)
        package = Component(name=name, version=deb_version, type=ComponentType.DATA
                            if name == "ca-certificates" else ComponentType.LIBRARY,
                            purl=PackageURL("deb", namespace="debian", name=name, version=deb_version),
                            bom_ref=f"pkg:deb/debian/{name}@{deb_version}", licenses=[LicenseExpression(licence)])
        bom.components.add(package)
        bom.register_dependency(root, [package])
    # Validated against the CycloneDX 1.6 schema by tests/dist (seconds per document: not here).
    path.write_text(JsonV1Dot6(bom).output_as_string(indent=1) + "\n")


def write_notices(path: Path, artifact: str, found: list, debian: list[str]) -> None:
    """Each distinct licence text once, preceded by the crates it covers, so the file stays readable."""
    dirs = source_dirs()
    by_text: dict[str, list[str]] = defaultdict(list)
    without_file = []
    for name, crate_version, licence, _repository, local in found:
        if local:
            continue
        source = dirs.get((name, crate_version))
        files = sorted(f for f in source.iterdir() if f.is_file() and LICENSE_FILE.match(f.name)) if source else []
        if not files:
            without_file.append(f"{name} {crate_version} ({licence or 'no licence field'})")
        for file in files:
            by_text[file.read_text(errors="replace").strip()].append(f"{name} {crate_version} ({licence})")
    lines = [f"Third-party notices for {artifact}", "",
             f"{artifact} is licensed under Apache-2.0 (LICENSE). It contains the following third-party code,",
             "under the licences below; each licence text is preceded by the packages it applies to.", ""]
    for text, users in sorted(by_text.items(), key=lambda item: sorted(item[1])[0]):
        lines += ["=" * 78, *sorted(set(users)), "-" * 78, text, ""]
    if without_file:
        lines += ["=" * 78, "Packages that ship no licence file (their licence expression is given):",
                  *sorted(without_file), ""]
    for name in debian:
        copyright_file = Path(f"/usr/share/doc/{name}/copyright")
        lines += ["=" * 78, f"Debian package {name} {debian_package(name)[0]}", "-" * 78,
                  copyright_file.read_text(errors="replace").strip(), ""]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--target", action="append", default=[], help="repeat for an artifact of several")
    parser.add_argument("--sbom", type=Path)
    parser.add_argument("--notices", type=Path)
    parser.add_argument("--debian", nargs="*", default=[])
    args = parser.parse_args()
    version = next(line.split('"')[1] for line in (ROOT / "Cargo.toml").read_text().splitlines()
                   if line.startswith("version = "))
    found, edges = ([], set()) if args.package == "none" else crates(args.package, args.target)
    if args.sbom:
        write_sbom(args.sbom, args.artifact, version, found, edges, args.debian)
    if args.notices:
        write_notices(args.notices, args.artifact, found, args.debian)


if __name__ == "__main__":
    main()
