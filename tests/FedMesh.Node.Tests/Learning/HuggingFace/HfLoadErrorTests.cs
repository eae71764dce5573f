using System.Text.Json.Nodes;
using FedMesh.Node.Learning.HuggingFace;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>Bad model folders fail with one clear error naming the file and the key or tensor, before weights load.</summary>
[Collection(HfCollection.Name)]
public sealed class HfLoadErrorTests(HfCheckpoints checkpoints)
{
    private const string Llama = "--arch llama --dtype bf16 --kv-heads 2";

    [SkippableFact]
    public void An_unsupported_model_type_names_the_key_and_the_file()
    {
        string dir = checkpoints.Copy(Llama);
        EditConfig(dir, c => c["model_type"] = "bert");
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir));
        Assert.Contains("config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("'model_type' is \"bert\", unsupported", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_missing_tensor_is_named()
    {
        string dir = checkpoints.Copy(Llama);
        EditConfig(dir, c => c["num_hidden_layers"] = 3);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir));
        Assert.Contains("tensor 'model.layers.2.input_layernorm.weight' is missing", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_misshapen_tensor_is_named_with_its_file_and_both_shapes()
    {
        string dir = checkpoints.Copy(Llama);
        EditConfig(dir, c => c["intermediate_size"] = 40);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir));
        Assert.Contains("model.safetensors: tensor 'model.layers.0.mlp.gate_proj.weight' has shape [96,32], the config needs [40,32]", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_truncated_file_names_the_tensor_cut_off()
    {
        string dir = checkpoints.Copy(Llama);
        string file = Path.Combine(dir, "model.safetensors");
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(stream.Length - 10);
        }

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir));
        Assert.Matches(@"model\.safetensors: truncated: tensor 'lm_head\.weight' ends at byte \d+, the file has \d+", e.Message);
    }

    [SkippableFact]
    public void A_header_over_its_bound_is_refused_before_it_is_read()
    {
        string dir = checkpoints.Make(Llama);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir, HfLoadLimits.Default with { MaxHeaderBytes = 256 }));
        Assert.Contains("model.safetensors: header of", e.Message, StringComparison.Ordinal);
        Assert.Contains("over the 256-byte bound", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_tokenizer_with_more_ids_than_embedding_rows_is_refused()
    {
        string dir = checkpoints.Copy(Llama);
        string path = Path.Combine(dir, "tokenizer.json");
        JsonNode tokenizer = JsonNode.Parse(File.ReadAllText(path))!;
        tokenizer["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 5000, ["content"] = "<extra>", ["special"] = true });
        File.WriteAllText(path, tokenizer.ToJsonString());
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir));
        Assert.Contains("tokenizer.json: the tokenizer has 5001 token ids but 'model.embed_tokens.weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("has 280 rows", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_shard_missing_from_an_index_is_named()
    {
        string dir = checkpoints.Copy(Llama + " --shards 2");
        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        FileNotFoundException e = Assert.Throws<FileNotFoundException>(() => HfBase.Load(dir));
        Assert.Contains("shard model-00002-of-00002.safetensors", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_weight_in_an_integer_dtype_is_refused()
    {
        string dir = checkpoints.Copy(Llama);
        string file = Path.Combine(dir, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(file);
        // Same width as BF16, so offsets stay valid: only the dtype is wrong.
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("\"model.norm.weight\": {\"dtype\": \"BF16\"", StringComparison.Ordinal);
        Assert.True(at > 0);
        System.Text.Encoding.ASCII.GetBytes("\"model.norm.weight\": {\"dtype\": \"I16\" ").CopyTo(bytes, at);
        File.WriteAllBytes(file, bytes);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HfBase.Load(dir));
        Assert.Contains("tensor 'model.norm.weight' has dtype I16", e.Message, StringComparison.Ordinal);
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        string path = Path.Combine(dir, "config.json");
        JsonObject config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }
}
