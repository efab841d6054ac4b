"""Upload names: only OSTree object and static-delta part names, never a path."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from builds.storage.layout import Storage, UnsafePath
from builds.storage.names import InvalidUploadName, UploadKind, parse_object_name, parse_upload_name

HEX = "0123456789abcdef" * 4
B64 = "oS6QiSBxQF5nJZBVS6MJ6tCk_KN63I72Y7QipgUTh5w"  # 43 characters of OSTree's base64


@pytest.mark.parametrize("type_", ["filez", "dirtree", "dirmeta", "commit"])
def test_object_names_map_to_objects_dir(type_):
    name = parse_upload_name(f"{HEX}.{type_}")
    assert name.kind == UploadKind.OBJECT
    assert name.path == PurePosixPath("objects", HEX[:2], f"{HEX[2:]}.{type_}")
    assert name.is_metadata is (type_ != "filez")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        (f"{B64}.superblock.delta", ("deltas", B64[:2], B64[2:], "superblock")),
        (f"{B64}.0.delta", ("deltas", B64[:2], B64[2:], "0")),
        (f"{B64}-{B64}.12.delta", ("deltas", B64[:2], f"{B64[2:]}-{B64}", "12")),
    ],
)
def test_static_delta_parts_map_to_deltas_dir(name, path):
    parsed = parse_upload_name(name)
    assert parsed.kind == UploadKind.DELTA
    assert parsed.path == PurePosixPath(*path)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../../etc/passwd",
        f"../{HEX}.filez",
        f"{HEX[:2]}/{HEX[2:]}.filez",
        f"/{HEX}.filez",
        f"{HEX}.filez/..",
        f"{HEX.upper()}.filez",
        f"{HEX[:-1]}.filez",
        f"{HEX}0.filez",
        f"{HEX}.file",
        f"{HEX}.filez.tmp",
        f".{HEX}.filez",
        f"{HEX}.filez\x00",
        f"{HEX}.filez\n",
        "..",
        ".",
        f"{B64}.superblock",
        f"{B64}.x.delta",
        f"{B64}/..superblock.delta",
        f"{B64[:-1]}.0.delta",
        f"{B64}-{B64[:-1]}.0.delta",
        f"{B64}-../{B64[3:]}.0.delta",
        f"{B64[:-2]}/x.0.delta",
        None,
        42,
    ],
)
def test_anything_else_is_refused(name):
    with pytest.raises(InvalidUploadName):
        parse_upload_name(name)


def test_missing_objects_accept_objects_only():
    assert parse_object_name(f"{HEX}.commit").name == f"{HEX}.commit"
    with pytest.raises(InvalidUploadName):
        parse_object_name(f"{B64}.0.delta")


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "x" * 65, "a b", None])
def test_repository_names_never_leave_the_storage_root(tmp_path, name):
    with pytest.raises(UnsafePath):
        Storage(tmp_path).repository(name)


@pytest.mark.parametrize("build_id", [0, -1, "1", "../1", True, None])
def test_build_ids_are_positive_integers(tmp_path, build_id):
    with pytest.raises(UnsafePath):
        Storage(tmp_path).build(build_id)


def test_layout(tmp_path):
    storage = Storage(tmp_path)
    assert storage.repository("stable") == (tmp_path / "repos" / "stable").resolve()
    assert storage.upload_area(7) == (tmp_path / "builds" / "7" / "upload").resolve()
