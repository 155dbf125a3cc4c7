"""The built-in model zoo: reference networks built by name, with their published counts.

The parts catalogue of the simulator: seven networks that accelerator papers
benchmark on, each built as its reference framework exports it (unfused, with
the framework's layer names), so that parameters and MACs match the published
figures and `workloads.fuse` has real batch-norm and activation layers to fold.

=============  =================================================  =======================
name           network                                            parameters (defaults)
=============  =================================================  =======================
resnet18       ResNet-18, torchvision                             batch=1, image_size=224
resnet50       ResNet-50 (v1.5), torchvision                      batch=1, image_size=224
mobilenet_v2   MobileNetV2 1.0, torchvision                       batch=1, image_size=224
vgg16          VGG-16 (configuration D), torchvision              batch=1, image_size=224
vit_b16        ViT-B/16, torchvision ``vit_b_16``                 batch=1, image_size=224
bert_base      BERT-base encoder + pooler, Hugging Face           batch=1, seq_len=128
llama7b        LLaMA-7B, Hugging Face ``LlamaForCausalLM``        batch=1, phase="prefill",
                                                                  seq_len=512, kv_len=512
=============  =================================================  =======================

Names are matched ignoring case and punctuation: ``ResNet-50``, ``mobilenet-v2``,
``ViT-B/16``, ``bert-base``, ``LLaMA-7B`` all work.

What is counted (see `workloads.zoo.cnn` and `workloads.zoo.transformers`):
MACs are those of convolutions, fully connected layers and, for
transformers, the two attention matmuls. Parameters are the framework's
``sum(p.numel())`` except embedding lookup tables (BERT's word, position and
token-type tables, LLaMA's ``embed_tokens``), which are listed in
`ModelInfo.embedding_params` instead: a lookup reads one row per token, so
counting the table as a layer parameter would price all of it on every pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from workloads._input import describe_validation_error
from workloads._model import FrozenModel
from workloads.errors import WorkloadError
from workloads.graph import LayerGraph
from workloads.zoo import cnn, transformers
from workloads.zoo.params import BertParams, ImageParams, LlamaParams, VggParams, VitParams, ZooParams

__all__ = ["ModelInfo", "build_model", "list_models", "model_info"]


class ModelInfo(FrozenModel):
    """A zoo entry as the CLI lists it."""

    name: str
    """Canonical name, as `build_model` takes it."""
    description: str
    """One line on what the network is."""
    parameters: dict[str, int | str]
    """Parameters `build_model` accepts for this network, with their defaults."""
    source: str
    """Where the architecture and the figures its tests check come from."""
    aliases: tuple[str, ...] = ()
    """The usual spellings in papers and libraries (any case and punctuation is accepted)."""
    embedding_params: int = 0
    """Parameters of embedding lookup tables, which the graph's layer params leave out."""


@dataclass(frozen=True)
class _Entry:
    name: str
    build: Callable[[Any], LayerGraph]
    params: type[ZooParams]
    description: str
    source: str
    aliases: tuple[str, ...] = ()
    embedding_params: int = 0


_TORCHVISION = "torchvision.models {} weights metadata (num_params, _ops)"
_BERT, _LLAMA = transformers.BERT_BASE, transformers.LLAMA_7B
_ENTRIES = (
    _Entry("resnet18", cnn.resnet18, ImageParams, "ResNet-18 ImageNet classifier, torchvision layout",
           f"He et al., Deep Residual Learning, CVPR 2016; {_TORCHVISION.format('ResNet18_Weights')}",
           aliases=("ResNet-18",)),
    _Entry("resnet50", cnn.resnet50, ImageParams, "ResNet-50 v1.5 ImageNet classifier, torchvision layout",
           f"He et al., Deep Residual Learning, CVPR 2016; {_TORCHVISION.format('ResNet50_Weights')}",
           aliases=("ResNet-50",)),
    _Entry("mobilenet_v2", cnn.mobilenet_v2, ImageParams, "MobileNetV2 (width 1.0) ImageNet classifier",
           f"Sandler et al., MobileNetV2, CVPR 2018; {_TORCHVISION.format('MobileNet_V2_Weights')}",
           aliases=("MobileNetV2",)),
    _Entry("vgg16", cnn.vgg16, VggParams, "VGG-16 (configuration D) ImageNet classifier",
           f"Simonyan & Zisserman, ICLR 2015; {_TORCHVISION.format('VGG16_Weights')}",
           aliases=("VGG-16",)),
    _Entry("vit_b16", transformers.vit_b16, VitParams, "ViT-B/16 ImageNet classifier, torchvision vit_b_16",
           f"Dosovitskiy et al., An Image is Worth 16x16 Words, ICLR 2021; "
           f"{_TORCHVISION.format('ViT_B_16_Weights')}",
           aliases=("ViT-B/16", "vit_b_16")),
    _Entry("bert_base", transformers.bert_base, BertParams,
           "BERT-base encoder with pooler (bert-base-uncased, Hugging Face BertModel)",
           "Devlin et al., BERT, NAACL 2019, Sec. 3 (L=12, H=768, A=12); vocabulary 30522",
           aliases=("BERT-base", "bert-base-uncased"),
           embedding_params=(_BERT["vocab"] + _BERT["positions"] + _BERT["token_types"]) * _BERT["hidden"]),
    _Entry("llama7b", transformers.llama7b, LlamaParams,
           "LLaMA-7B decoder, one prefill pass or one decode step (Hugging Face LlamaForCausalLM)",
           "Touvron et al., LLaMA: Open and Efficient Foundation Language Models, 2023, Table 2; "
           "MLP width 11008 from the released code",
           aliases=("LLaMA-7B",), embedding_params=_LLAMA["vocab"] * _LLAMA["hidden"]),
)


def _key(name: str) -> str:
    """``ViT-B/16`` -> ``vitb16``: case and punctuation do not tell models apart."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_KEY = {_key(key): entry for entry in _ENTRIES for key in (entry.name, *entry.aliases)}


def _entry(name: str) -> _Entry:
    try:
        return _BY_KEY[_key(name)]
    except KeyError:
        pass
    known = ", ".join(sorted(entry.name for entry in _ENTRIES))
    close = difflib.get_close_matches(_key(name), list(_BY_KEY), n=1, cutoff=0.6)
    hint = f" (did you mean {_BY_KEY[close[0]].name!r}?)" if close else ""
    raise WorkloadError(f"unknown model {name!r}{hint}; known models: {known}")


def _params(entry: _Entry, params: dict[str, Any]) -> ZooParams:
    fields = entry.params.model_fields
    unknown = [key for key in params if key not in fields]
    if unknown:
        raise WorkloadError(
            f"{unknown[0]}: unknown parameter ({entry.name} takes {', '.join(fields)})", entry.name
        )
    try:
        return entry.params.model_validate(params)
    except ValidationError as exc:
        raise WorkloadError(describe_validation_error(exc, entry.params), entry.name) from None


def build_model(name: str, **params: Any) -> LayerGraph:
    """Build the unfused layer graph of a zoo network.

    Parameters
    ----------
    name : str
        A zoo name (`list_models`); case and punctuation are ignored (``ResNet-50``).
    **params
        The network's parameters: ``batch`` for all; ``image_size`` (pixels) for
        the image models; ``seq_len`` (tokens) for ``bert_base``; ``phase``,
        ``seq_len`` and ``kv_len`` (tokens) for ``llama7b``.

    Returns
    -------
    LayerGraph
        A new graph, named by the canonical model name.

    Raises
    ------
    WorkloadError
        Unknown name (the message lists the known ones), unknown parameter, or
        a parameter value out of range.

    Examples
    --------
    >>> g = build_model("ResNet-50")
    >>> g.totals()["macs"], g.totals()["params"]
    (4089184256, 25557032)
    >>> build_model("llama7b", phase="decode", kv_len=1023).layer("model.layers.0.self_attn.qk_matmul").k
    1024
    """
    entry = _entry(name)
    return entry.build(_params(entry, params))


def model_info(name: str) -> ModelInfo:
    """The catalogue entry of one zoo network (any accepted spelling of its name)."""
    entry = _entry(name)
    return ModelInfo(
        name=entry.name,
        description=entry.description,
        parameters={key: field.default for key, field in entry.params.model_fields.items()},
        source=entry.source,
        aliases=entry.aliases,
        embedding_params=entry.embedding_params,
    )


def list_models() -> list[ModelInfo]:
    """Every zoo network with its parameters and their defaults, CNNs first."""
    return [model_info(entry.name) for entry in _ENTRIES]
