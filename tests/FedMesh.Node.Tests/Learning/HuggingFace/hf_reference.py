#!/usr/bin/env python3
"""Tiny Hugging Face checkpoints and an independent reference forward pass (PyTorch 1.13, float32).

  make   --arch gpt2|llama|qwen2|mistral --out DIR [--dtype f32|bf16|f16] [--shards N] [--seed S]
         [--layers L --hidden D --heads H --kv-heads K --inter I --positions P --vocab V --tie --std S]
         writes config.json, model.safetensors (or N shards + model.safetensors.index.json) and a byte-level BPE
         tokenizer (gpt2: vocab.json + merges.txt; Llama layout: tokenizer.json), random weights.
  logits --dir DIR --ids "1,2,3;4,5,6" --out FILE
         reads the folder with its own safetensors parser and writes float32 logits [batch, time, vocab] (LE).

The forward passes follow transformers' GPT2LMHeadModel and LlamaForCausalLM definitions written out with plain
tensor ops (explicit softmax attention, no fused kernels), so they share no code with the C# implementation.
"""
import argparse, json, math, os, struct, sys

import torch

# ---------------------------------------------------------------------------------------------------- tokenizer


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode map (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"), ("Ġ", "s")]


def byte_level_vocab():
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    return vocab


LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
                r"|\s+(?!\S)|\s+")


def write_tokenizer(out, arch, vocab_size):
    vocab = byte_level_vocab()
    if arch == "gpt2":
        vocab["<|endoftext|>"] = len(vocab)
        assert len(vocab) <= vocab_size
        with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in MERGES))
        return {"eos_token_id": vocab["<|endoftext|>"], "bos_token_id": vocab["<|endoftext|>"]}
    bos, eos = len(vocab), len(vocab) + 1
    assert eos < vocab_size
    tok = {
        "version": "1.0",
        "added_tokens": [{"id": bos, "content": "<s>", "special": True}, {"id": eos, "content": "</s>", "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in MERGES]},
    }
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    return {"bos_token_id": bos, "eos_token_id": eos}


# ---------------------------------------------------------------------------------------------------- safetensors

DTYPES = {"f32": (torch.float32, "F32"), "bf16": (torch.bfloat16, "BF16"), "f16": (torch.float16, "F16")}


def tensor_bytes(t):
    if t.dtype == torch.float32:
        return t.contiguous().numpy().tobytes()
    return t.contiguous().view(torch.int16).numpy().tobytes()


def write_safetensors(path, tensors, code):
    header, offset, blobs = {}, 0, []
    for name, t in tensors:
        data = tensor_bytes(t)
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read_folder(folder):
    """All tensors of a folder as float32, by name (own parser: independent of the C# reader)."""
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for name in files:
        raw = open(os.path.join(folder, name), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        for key, e in header.items():
            if key == "__metadata__":
                continue
            b, end = e["data_offsets"]
            chunk = bytearray(data[b:end])
            if e["dtype"] == "F32":
                t = torch.frombuffer(chunk, dtype=torch.float32)
            elif e["dtype"] == "BF16":
                t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16).float()
            elif e["dtype"] == "F16":
                t = torch.frombuffer(chunk, dtype=torch.float16).float()
            else:
                continue
            out[key] = t.reshape(e["shape"]).clone()
    return out


# ---------------------------------------------------------------------------------------------------- make


def make(a):
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    dtype, code = DTYPES[a.dtype]
    gpt2 = a.arch == "gpt2"
    d, L, H = a.hidden, a.layers, a.heads
    K = a.kv_heads or H
    hd = d // H
    inter = a.inter or (4 * d if gpt2 else 3 * d)
    vocab_size = a.vocab
    special = write_tokenizer(a.out, a.arch, vocab_size)

    def w(*shape, std=None):
        return (torch.randn(*shape) * (a.std if std is None else std)).to(dtype)

    def gain(n):
        return (1.0 + 0.1 * torch.randn(n)).to(dtype)

    t = []
    if gpt2:
        config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": vocab_size, "n_embd": d,
                  "n_layer": L, "n_head": H, "n_positions": a.positions, "n_inner": None, "layer_norm_epsilon": 1e-5,
                  "activation_function": "gelu_new", **special}
        t += [("transformer.wte.weight", w(vocab_size, d)), ("transformer.wpe.weight", w(a.positions, d))]
        for i in range(L):
            p = f"transformer.h.{i}."
            t += [(p + "ln_1.weight", gain(d)), (p + "ln_1.bias", w(d, std=0.05)),
                  (p + "attn.c_attn.weight", w(d, 3 * d)), (p + "attn.c_attn.bias", w(3 * d, std=0.05)),
                  (p + "attn.c_proj.weight", w(d, d)), (p + "attn.c_proj.bias", w(d, std=0.05)),
                  (p + "ln_2.weight", gain(d)), (p + "ln_2.bias", w(d, std=0.05)),
                  (p + "mlp.c_fc.weight", w(d, inter)), (p + "mlp.c_fc.bias", w(inter, std=0.05)),
                  (p + "mlp.c_proj.weight", w(inter, d)), (p + "mlp.c_proj.bias", w(d, std=0.05))]
            # The causal-mask buffer old GPT-2 checkpoints carry (not a weight; the loader must skip it).
            t += [(p + "attn.bias", torch.tril(torch.ones(a.positions, a.positions)).view(1, 1, a.positions, a.positions).to(dtype))]
        t += [("transformer.ln_f.weight", gain(d)), ("transformer.ln_f.bias", w(d, std=0.05))]
    else:
        tie = a.tie
        config = {"model_type": a.arch, "vocab_size": vocab_size, "hidden_size": d, "num_hidden_layers": L,
                  "num_attention_heads": H, "num_key_value_heads": K, "intermediate_size": inter,
                  "max_position_embeddings": a.positions, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                  "tie_word_embeddings": tie, "hidden_act": "silu", "rope_scaling": None, **special}
        t += [("model.embed_tokens.weight", w(vocab_size, d))]
        for i in range(L):
            p = f"model.layers.{i}."
            t += [(p + "input_layernorm.weight", gain(d)),
                  (p + "self_attn.q_proj.weight", w(H * hd, d)), (p + "self_attn.k_proj.weight", w(K * hd, d)),
                  (p + "self_attn.v_proj.weight", w(K * hd, d))]
            if a.arch == "qwen2":
                t += [(p + "self_attn.q_proj.bias", w(H * hd, std=0.05)), (p + "self_attn.k_proj.bias", w(K * hd, std=0.05)),
                      (p + "self_attn.v_proj.bias", w(K * hd, std=0.05))]
            t += [(p + "self_attn.o_proj.weight", w(d, H * hd)), (p + "post_attention_layernorm.weight", gain(d)),
                  (p + "mlp.gate_proj.weight", w(inter, d)), (p + "mlp.up_proj.weight", w(inter, d)),
                  (p + "mlp.down_proj.weight", w(d, inter))]
        t += [("model.norm.weight", gain(d))]
        if not tie:
            t += [("lm_head.weight", w(vocab_size, d))]
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for old in os.listdir(a.out):
        if old.endswith(".safetensors") or old.endswith(".index.json"):
            os.remove(os.path.join(a.out, old))
    if a.shards <= 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), t, code)
        return
    per = math.ceil(len(t) / a.shards)
    weight_map = {}
    for s in range(a.shards):
        name = f"model-{s + 1:05d}-of-{a.shards:05d}.safetensors"
        part = t[s * per:(s + 1) * per]
        write_safetensors(os.path.join(a.out, name), part, code)
        weight_map.update({k: name for k, _ in part})
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


# ---------------------------------------------------------------------------------------------------- reference


def softmax_attention(q, k, v):
    """Causal attention with an explicit mask and softmax (no fused kernel)."""
    t = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
    return torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1) @ v


def adapter(lora, path, x, y):
    """y + (alpha/r) * B(A(x)) when `lora` (module path -> (A, B, scale)) adapts `path` (PEFT's LoRA Linear)."""
    if lora and path in lora:
        a, b, scale = lora[path]
        return y + (x @ a.t()) @ b.t() * scale
    return y


def gpt2_forward(c, W, ids, lora=None):
    d, H = c["n_embd"], c["n_head"]
    pre = "transformer." if "transformer.wte.weight" in W else ""
    g = lambda n: W[pre + n]
    eps = c.get("layer_norm_epsilon", 1e-5)

    def ln(x, n):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * g(n + ".weight") + g(n + ".bias")

    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    b, t = ids.shape
    x = g("wte.weight")[ids] + g("wpe.weight")[:t]
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        h = ln(x, p + "ln_1")
        qkv = adapter(lora, f"transformer.{p}attn.c_attn", h, h @ g(p + "attn.c_attn.weight") + g(p + "attn.c_attn.bias"))
        q, k, v = [z.view(b, t, H, d // H).transpose(1, 2) for z in qkv.split(d, dim=-1)]
        a = softmax_attention(q, k, v).transpose(1, 2).reshape(b, t, d)
        x = x + a @ g(p + "attn.c_proj.weight") + g(p + "attn.c_proj.bias")
        h = ln(x, p + "ln_2")
        x = x + gelu_new(h @ g(p + "mlp.c_fc.weight") + g(p + "mlp.c_fc.bias")) @ g(p + "mlp.c_proj.weight") + g(p + "mlp.c_proj.bias")
    return ln(x, "ln_f") @ g("wte.weight").t()


def llama_forward(c, W, ids, lora=None):
    d, H = c["hidden_size"], c["num_attention_heads"]
    K = c.get("num_key_value_heads") or H
    hd = c.get("head_dim") or d // H
    eps, theta = c.get("rms_norm_eps", 1e-6), c.get("rope_theta", 10000.0)
    b, t = ids.shape

    def rms(x, n):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * W[n]

    def lin(x, n):
        y = x @ W[n + ".weight"].t()
        return adapter(lora, n, x, y + W[n + ".bias"] if n + ".bias" in W else y)

    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = torch.outer(torch.arange(t, dtype=torch.float32), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def rope(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin

    x = W["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(x, p + "input_layernorm.weight")
        q = rope(lin(h, p + "self_attn.q_proj").view(b, t, H, hd).transpose(1, 2))
        k = rope(lin(h, p + "self_attn.k_proj").view(b, t, K, hd).transpose(1, 2))
        v = lin(h, p + "self_attn.v_proj").view(b, t, K, hd).transpose(1, 2)
        # transformers' repeat_kv: kv head j serves query heads j*n_rep ... (j+1)*n_rep-1.
        k = k[:, :, None].expand(b, K, H // K, t, hd).reshape(b, H, t, hd)
        v = v[:, :, None].expand(b, K, H // K, t, hd).reshape(b, H, t, hd)
        a = softmax_attention(q, k, v).transpose(1, 2).reshape(b, t, H * hd)
        x = x + lin(a, p + "self_attn.o_proj")
        h = rms(x, p + "post_attention_layernorm.weight")
        g = lin(h, p + "mlp.gate_proj")
        x = x + lin(g * torch.sigmoid(g) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms(x, "model.norm.weight")
    head = W["model.embed_tokens.weight"] if c.get("tie_word_embeddings", False) else W["lm_head.weight"]
    return x @ head.t()


def logits(a):
    c = json.load(open(os.path.join(a.dir, "config.json")))
    W = read_folder(a.dir)
    rows = [[int(v) for v in r.split(",")] for r in a.ids.split(";")]
    ids = torch.tensor(rows, dtype=torch.int64)
    with torch.no_grad():
        out = gpt2_forward(c, W, ids) if c["model_type"] == "gpt2" else llama_forward(c, W, ids)
    with open(a.out, "wb") as f:
        f.write(out.float().contiguous().numpy().tobytes())


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--arch", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--dtype", default="f32")
    m.add_argument("--shards", type=int, default=1)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--layers", type=int, default=2)
    m.add_argument("--hidden", type=int, default=32)
    m.add_argument("--heads", type=int, default=4)
    m.add_argument("--kv-heads", type=int, default=0)
    m.add_argument("--inter", type=int, default=0)
    m.add_argument("--positions", type=int, default=64)
    m.add_argument("--vocab", type=int, default=280)
    m.add_argument("--tie", action="store_true")
    m.add_argument("--std", type=float, default=0.2, help="weight standard deviation (GPT-2 initialises with 0.02)")
    l = sub.add_parser("logits")
    l.add_argument("--dir", required=True)
    l.add_argument("--ids", required=True)
    l.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    make(a) if a.cmd == "make" else logits(a)


if __name__ == "__main__":
    main()
