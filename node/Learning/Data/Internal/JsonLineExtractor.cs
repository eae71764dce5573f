using System.Text.Json;

namespace FedMesh.Node.Data.Internal;

/// <summary>
/// Turns one JSON Lines record into document text. The record must be a single JSON object; the text is its
/// <c>text</c> field, or else <c>prompt</c> and <c>completion</c> joined by <see cref="DataLoadOptions.PromptCompletionSeparator"/>
/// (field names configurable). Fields named in the redaction policy's drop list are skipped unread, so their
/// values never become text, even when a drop name equals a text field name.
/// </summary>
internal static class JsonLineExtractor
{
    /// <summary>Outcome of <see cref="TryExtract"/>.</summary>
    internal enum Result
    {
        Ok,
        Malformed,
        TooDeep,
        NoText,
    }

    public static Result TryExtract(
        ReadOnlySpan<byte> line,
        DataLoadOptions options,
        IReadOnlySet<string> droppedFields,
        Action<string> onDropped,
        out string? text)
    {
        text = null;

        // Depth is measured before parsing so "too deep" is told apart from "malformed" and the parser itself
        // never recurses past the bound (System.Text.Json would also stop at MaxDepth, but with the same error type).
        if (MaxNestingDepth(line) > options.MaxJsonDepth)
        {
            return Result.TooDeep;
        }

        string? body = null;
        string? prompt = null;
        string? completion = null;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions
            {
                MaxDepth = options.MaxJsonDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Result.Malformed;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (droppedFields.Contains(name))
                {
                    onDropped(name);
                    reader.Skip();
                }
                else if (reader.TokenType == JsonTokenType.String && name == options.TextField)
                {
                    body = reader.GetString();
                }
                else if (reader.TokenType == JsonTokenType.String && name == options.PromptField)
                {
                    prompt = reader.GetString();
                }
                else if (reader.TokenType == JsonTokenType.String && name == options.CompletionField)
                {
                    completion = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                // Trailing values after the object (`{..} {..}`) make the line ambiguous.
                return Result.Malformed;
            }
        }
        catch (JsonException)
        {
            return Result.Malformed;
        }
        catch (InvalidOperationException)
        {
            // GetString on a string escaping an unpaired UTF-16 surrogate ("\ud800").
            return Result.Malformed;
        }

        text = body ?? JoinPromptCompletion(prompt, completion, options.PromptCompletionSeparator);
        return string.IsNullOrWhiteSpace(text) ? Result.NoText : Result.Ok;
    }

    /// <summary>
    /// Deepest nesting of objects/arrays in <paramref name="json"/>, ignoring brackets inside strings.
    /// Linear and allocation-free; does not validate the JSON.
    /// </summary>
    public static int MaxNestingDepth(ReadOnlySpan<byte> json)
    {
        int depth = 0;
        int max = 0;
        bool inString = false;
        bool escaped = false;
        foreach (byte b in json)
        {
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }

                continue;
            }

            switch (b)
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'{' or (byte)'[':
                    depth++;
                    max = Math.Max(max, depth);
                    break;
                case (byte)'}' or (byte)']':
                    depth--;
                    break;
            }
        }

        return max;
    }

    private static string? JoinPromptCompletion(string? prompt, string? completion, string separator) =>
        (prompt, completion) switch
        {
            (null, null) => null,
            (not null, null) => prompt,
            (null, not null) => completion,
            _ => string.Concat(prompt, separator, completion),
        };
}
