namespace FedMesh.Node.Data;

/// <summary>
/// One redacted training document from a node's data folder. <see cref="Source"/> says where it came from
/// ("notes/a.txt", "chat.jsonl:17") for reports; <see cref="Text"/> has already passed redaction.
/// </summary>
public sealed record LocalDocument(string Source, string Text);
