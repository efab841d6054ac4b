"""Ref names a build may carry."""

from __future__ import annotations

import pytest

from builds.builds.refs import InvalidRef, parse_ref


@pytest.mark.parametrize(
    ("name", "kind", "id_", "arch", "branch", "flatpakref"),
    [
        ("app/org.example.Hello/x86_64/stable", "app", "org.example.Hello", "x86_64", "stable", True),
        (
            "runtime/org.example.Platform/aarch64/23.08",
            "runtime",
            "org.example.Platform",
            "aarch64",
            "23.08",
            True,
        ),
        (
            "runtime/org.example.Hello.Locale/x86_64/stable",
            "runtime",
            "org.example.Hello.Locale",
            "x86_64",
            "stable",
            False,
        ),
        (
            "runtime/org.example.Hello.Debug/x86_64/stable",
            "runtime",
            "org.example.Hello.Debug",
            "x86_64",
            "stable",
            False,
        ),
        ("screenshots/x86_64", "screenshots", "", "x86_64", "", False),
    ],
)
def test_valid_refs(name, kind, id_, arch, branch, flatpakref):
    ref = parse_ref(name)
    assert (ref.kind, ref.id, ref.arch, ref.branch, ref.gets_flatpakref) == (
        kind,
        id_,
        arch,
        branch,
        flatpakref,
    )


@pytest.mark.parametrize(
    "name",
    [
        "",
        "app/org.example.Hello/x86_64",
        "app/org.example.Hello/x86_64/stable/extra",
        "apps/org.example.Hello/x86_64/stable",
        "appstream/x86_64",
        "screenshots/x86_64/extra",
        "screenshots",
        "app/../x86_64/stable",
        "app/org.example.Hello/x86_64/..",
        "app/org.example.Hello/../stable",
        "app/org/x86_64/stable",
        "app/1org.example.Hello/x86_64/stable",
        "app/org.example.Hello/x86_64/stable branch",
        "app/org.example.Hello//stable",
        None,
        7,
    ],
)
def test_invalid_refs(name):
    with pytest.raises(InvalidRef, match="Invalid ref_name"):
        parse_ref(name)
