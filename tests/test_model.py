"""Loading checkpoints: the class comes from config.json, options map to real settings, and
every way a checkpoint can be unavailable is one clear ModelUnavailable message."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

from inference.errors import ModelUnavailable
from inference.models.loading import (
    MAX_PIXELS,
    MIN_PIXELS,
    LoadOptions,
    load_model,
    model_type_of,
    resolve_model,
)
from inference.models.tiny import make_tiny

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def copy_checkpoint(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def edit_config(directory: Path, **changes) -> Path:
    config = json.loads((directory / "config.json").read_text())
    config.update(changes)
    for key, value in changes.items():
        if value is None:
            del config[key]
    (directory / "config.json").write_text(json.dumps(config))
    return directory


@pytest.fixture(scope="module")
def tiny_qwen2_vl(tmp_path_factory) -> Path:
    return make_tiny(tmp_path_factory.mktemp("tiny2") / "tiny-qwen2-vl", "qwen2_vl")


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint: Path):
    return load_model(LoadOptions(str(tiny_checkpoint)))


def generate_ids(loaded, max_new_tokens: int = 5) -> torch.Tensor:
    """Generate from a text-only prompt: enough to prove the weights work."""
    inputs = loaded.processor(text=["<|im_start|>user\nWhat happens?"], return_tensors="pt")
    output = loaded.model.generate(
        **inputs.to(loaded.model.device), max_new_tokens=max_new_tokens, min_new_tokens=5
    )
    return output[0, inputs["input_ids"].shape[1] :]


def test_loads_the_class_config_names(loaded):
    assert type(loaded.model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert loaded.model_type == "qwen2_5_vl"


def test_cpu_defaults_to_float32(loaded):
    assert (loaded.device, loaded.dtype) == ("cpu", "float32")
    assert loaded.model.dtype == torch.float32


def test_records_load_time(loaded):
    assert loaded.load_s > 0


def test_model_is_in_eval_mode(loaded):
    assert not loaded.model.training


@pytest.mark.parametrize("part", ["video_processor", "image_processor"])
def test_processor_uses_reference_pixel_range(loaded, part: str):
    size = getattr(loaded.processor, part).size
    assert (size.shortest_edge, size.longest_edge) == (MIN_PIXELS, MAX_PIXELS)


def test_generates_on_cpu(loaded):
    assert generate_ids(loaded).numel() == 5


@pytest.mark.parametrize(
    "quant, layer", [("4bit", "Linear4bit"), ("8bit", "Linear8bitLt")], ids=["4bit", "8bit"]
)
def test_quantized_load_generates_on_cpu(tiny_checkpoint: Path, quant: str, layer: str):
    loaded = load_model(LoadOptions(str(tiny_checkpoint), quant=quant, device="cpu"))
    layers = {type(module).__name__ for module in loaded.model.modules()}
    assert layer in layers
    assert generate_ids(loaded).numel() == 5


@pytest.mark.parametrize(
    "checkpoint, expected",
    [
        ("tiny_checkpoint", "Qwen2_5_VLForConditionalGeneration"),
        ("tiny_qwen2_vl", "Qwen2VLForConditionalGeneration"),
    ],
)
@pytest.mark.parametrize("name", ["qwen2-vl-misleading-name", "Qwen2.5-VL-7B-Instruct"])
def test_class_comes_from_config_not_path(request, tmp_path, checkpoint, expected, name):
    source = request.getfixturevalue(checkpoint)
    loaded = load_model(LoadOptions(str(copy_checkpoint(source, tmp_path / name))))
    assert type(loaded.model).__name__ == expected


def test_qwen2_vl_checkpoint_generates(tiny_qwen2_vl: Path):
    assert generate_ids(load_model(LoadOptions(str(tiny_qwen2_vl)))).numel() == 5


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"model_type": "qwen2_5_vl"}, "qwen2_5_vl"),
        ({"model_type": "qwen2_vl"}, "qwen2_vl"),
        ({"architectures": ["Qwen2_5_VLForConditionalGeneration"]}, "qwen2_5_vl"),
        ({"architectures": ["Qwen2VLForConditionalGeneration"]}, "qwen2_vl"),
    ],
)
def test_model_type_of_supported_configs(config: dict, expected: str):
    assert model_type_of(config, "m") == expected


@pytest.mark.parametrize(
    "config, named",
    [
        ({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}, "llama"),
        ({"model_type": "qwen3_vl"}, "qwen3_vl"),
        ({"architectures": ["LlavaForConditionalGeneration"]}, "unknown"),
        ({}, "unknown"),
    ],
)
def test_model_type_of_unsupported_configs(config: dict, named: str):
    with pytest.raises(ModelUnavailable, match=f"is a {named} model"):
        model_type_of(config, "m")


def test_unsupported_checkpoint_names_its_type(tmp_path: Path, tiny_checkpoint: Path):
    directory = edit_config(copy_checkpoint(tiny_checkpoint, tmp_path / "m"), model_type="llava")
    with pytest.raises(ModelUnavailable, match="llava"):
        load_model(LoadOptions(str(directory)))


def test_directory_without_weights(tmp_path: Path, tiny_checkpoint: Path):
    directory = copy_checkpoint(tiny_checkpoint, tmp_path / "m")
    (directory / "model.safetensors").unlink()
    with pytest.raises(ModelUnavailable, match="has no model weights"):
        load_model(LoadOptions(str(directory)))


def test_missing_tokenizer_files(tmp_path: Path, tiny_checkpoint: Path):
    directory = copy_checkpoint(tiny_checkpoint, tmp_path / "m")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (directory / name).unlink()
    with pytest.raises(ModelUnavailable, match="tokenizer .* does not fit the model"):
        load_model(LoadOptions(str(directory)))


def test_missing_processor_config(tmp_path: Path, tiny_checkpoint: Path):
    directory = copy_checkpoint(tiny_checkpoint, tmp_path / "m")
    (directory / "processor_config.json").unlink()
    with pytest.raises(ModelUnavailable, match="cannot load the processor") as caught:
        load_model(LoadOptions(str(directory)))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


def test_directory_without_config(tmp_path: Path):
    with pytest.raises(ModelUnavailable, match="no config.json"):
        load_model(LoadOptions(str(tmp_path)))


@pytest.mark.parametrize("name", ["./no-such-dir", "/no/such/checkpoint", "a/b/c"])
def test_missing_directory(name: str):
    with pytest.raises(ModelUnavailable, match="does not exist"):
        load_model(LoadOptions(name))


def test_corrupt_weights(tmp_path: Path, tiny_checkpoint: Path):
    directory = copy_checkpoint(tiny_checkpoint, tmp_path / "m")
    (directory / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelUnavailable, match="cannot load"):
        load_model(LoadOptions(str(directory)))


@pytest.mark.parametrize("name", ["vau-studio-tests/not-cached", "not-cached-either"])
def test_offline_hub_id_not_in_cache(monkeypatch, name: str):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    message = f"model {name} is not in the local cache and the hub cannot be reached"
    with pytest.raises(ModelUnavailable, match=message):
        load_model(LoadOptions(name))


def test_local_files_only_acts_as_offline(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(ModelUnavailable, match="not in the local cache"):
        load_model(LoadOptions("vau-studio-tests/not-cached", local_files_only=True))


def test_invalid_hub_id(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="neither a directory nor a hub model id"):
        load_model(LoadOptions("bad id!"))


@pytest.mark.parametrize(
    "field, value",
    [("quant", "3bit"), ("device", "tpu"), ("dtype", "int4"), ("attn", "magic")],
)
def test_unknown_option_is_refused(tiny_checkpoint: Path, field: str, value: str):
    options = LoadOptions(str(tiny_checkpoint), **{field: value})
    with pytest.raises(ModelUnavailable, match=f"unknown .*{value!r}"):
        load_model(options)


@pytest.mark.parametrize("alias, dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_dtype_aliases(tiny_checkpoint: Path, alias: str, dtype: torch.dtype):
    assert load_model(LoadOptions(str(tiny_checkpoint), dtype=alias)).model.dtype == dtype


@no_cuda
def test_cuda_requested_without_gpu(tiny_checkpoint: Path):
    with pytest.raises(ModelUnavailable, match="no CUDA GPU"):
        load_model(LoadOptions(str(tiny_checkpoint), device="cuda"))


def test_flash_attention_needs_gpu_and_package(tiny_checkpoint: Path):
    with pytest.raises(ModelUnavailable, match="flash_attention_2 needs"):
        load_model(LoadOptions(str(tiny_checkpoint), device="cpu", attn="flash_attention_2"))


def test_cpu_uses_sdpa_attention(loaded):
    assert loaded.model.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("quant", ["4bit", "8bit"])
def test_quantization_without_bitsandbytes(tiny_checkpoint: Path, monkeypatch, quant: str):
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # makes the package unfindable
    with pytest.raises(ModelUnavailable, match="needs the bitsandbytes package"):
        load_model(LoadOptions(str(tiny_checkpoint), quant=quant))


def test_out_of_memory_is_a_clear_message(tiny_checkpoint: Path, monkeypatch):
    import transformers

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    cls = transformers.Qwen2_5_VLForConditionalGeneration
    monkeypatch.setattr(cls, "from_pretrained", exhausted)
    with pytest.raises(ModelUnavailable, match="out of memory loading .*try 4bit"):
        load_model(LoadOptions(str(tiny_checkpoint)))


def test_resolve_tiny_builds_under_vau_home(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VAU_HOME", str(tmp_path))
    assert resolve_model("tiny") == str(tmp_path / "tiny")
    assert (tmp_path / "tiny" / "config.json").is_file()


@pytest.mark.parametrize("name", ["Qwen/Qwen2.5-VL-3B-Instruct", "/models/vau-r1", "tinyllama"])
def test_resolve_passes_other_names_through(name: str):
    assert resolve_model(name) == name


def test_tiny_name_loads(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VAU_HOME", str(tmp_path))
    loaded = load_model(LoadOptions("tiny"))
    assert loaded.source == str(tmp_path / "tiny")


def test_resolve_world_names_the_shipped_folder_and_says_what_it_is():
    from inference.models.named import WORLD_DIR, note_for

    assert resolve_model("world") == str(WORLD_DIR)
    assert note_for("world") == note_for(str(WORLD_DIR)) == note_for(f"{WORLD_DIR}/")
    assert "synthetic videos; not VAU-R1" in note_for("world") and note_for("acme/vau") == ""


def test_resolve_world_without_its_folder_says_how_to_rebuild_it(tmp_path, monkeypatch):
    from inference.models import named

    monkeypatch.setitem(named.SHIPPED, "world", named.Shipped(tmp_path / "gone", "toy"))
    with pytest.raises(ModelUnavailable, match="make world-model"):
        resolve_model("world")
