using System.Text;

namespace FedMesh.Node.Learning.Internal;

/// <summary>Documents as one byte stream: UTF-8 of each document followed by a newline separator.</summary>
internal static class ByteStream
{
    /// <summary>Byte that ends every document, so the model learns where documents stop.</summary>
    public const byte Separator = (byte)'\n';

    /// <summary>Concatenates documents, stopping once <paramref name="maxBytes"/> are collected.</summary>
    public static byte[] Concatenate(IReadOnlyList<string> documents, long maxBytes = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(documents);
        long total = 0;
        foreach (string doc in documents)
        {
            total += Encoding.UTF8.GetByteCount(doc) + 1;
            if (total >= maxBytes)
            {
                break;
            }
        }

        var bytes = new byte[Math.Min(total, maxBytes)];
        int at = 0;
        foreach (string doc in documents)
        {
            if (at >= bytes.Length)
            {
                break;
            }

            byte[] encoded = Encoding.UTF8.GetBytes(doc);
            int n = Math.Min(encoded.Length, bytes.Length - at);
            encoded.AsSpan(0, n).CopyTo(bytes.AsSpan(at));
            at += n;
            if (at < bytes.Length)
            {
                bytes[at++] = Separator;
            }
        }

        return bytes;
    }
}
