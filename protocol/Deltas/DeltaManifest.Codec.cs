using System.Buffers;
using FedMesh.Protocol.Deltas.Internal;
using FedMesh.Protocol.Messages.Internal;
using MessagePack;

namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Canonical MessagePack form of a manifest (SPEC.md §5.2): one array of exactly 12 elements
/// [version u8, mesh_id bin32, base_model_hash bin32, schema_hash bin32, origin bin32, sequence u64,
/// timestamp_ms u64, tensors [[name str, shape [u32…], encoding u8, scale f32]…], dp [clip f64, sigma f64,
/// q f64|nil], chunk_size u32, total_size u64, chunk_hashes bin], every integer in its shortest form.
/// The bytes are signed, so unlike messages a manifest admits no trailing elements and no alternative
/// encodings: a decoder re-encodes what it read and rejects any difference.
/// </summary>
public sealed partial record DeltaManifest
{
    private const int ElementCount = 12;

    /// <summary>Canonical bytes; throws <see cref="ArgumentException"/> if the manifest breaks a cap or is inconsistent.</summary>
    public byte[] Encode()
    {
        if (Problem() is { } problem)
        {
            throw new ArgumentException($"invalid manifest: {problem}");
        }

        return EncodeUnchecked();
    }

    /// <summary>Writes the layout without the consistency check (for <see cref="Encode"/>, and for tests that
    /// must produce invalid manifests to prove the decoder refuses them).</summary>
    internal byte[] EncodeUnchecked()
    {
        var buffer = new ArrayBufferWriter<byte>(512 + ChunkHashes.Length + (Tensors.Count * 64));
        WriteUnchecked(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The canonical layout into <paramref name="buffer"/> (no consistency check).</summary>
    private void WriteUnchecked(ArrayBufferWriter<byte> buffer)
    {
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(ElementCount);
        w.Write(FormatVersion);
        w.Write(MeshId.Span);
        w.Write(BaseModelHash.Span);
        w.Write(SchemaHash.Span);
        w.Write(Origin.Span);
        w.Write(Sequence);
        w.Write(TimestampMs);
        w.WriteArrayHeader(Tensors.Count);
        foreach (ManifestTensor t in Tensors)
        {
            w.WriteArrayHeader(4);
            w.Write(t.Info.Name);
            w.WriteArrayHeader(t.Info.Shape.Count);
            foreach (int d in t.Info.Shape)
            {
                w.Write((uint)d);
            }

            w.Write((byte)t.Encoding);
            w.Write(t.Scale);
        }

        w.WriteArrayHeader(3);
        w.Write(Privacy.ClipNorm);
        w.Write(Privacy.NoiseMultiplier);
        if (Privacy.SamplingRate is { } q)
        {
            w.Write(q);
        }
        else
        {
            w.WriteNil();
        }

        w.Write((uint)ChunkSize);
        w.Write((ulong)TotalSize);
        w.Write(ChunkHashes.Span);
        w.Flush();
    }

    /// <summary>Scratch for <see cref="Decode"/>'s canonical-form check, one per thread: every received manifest is
    /// re-encoded and compared, and a fresh buffer plus a copy each time were 2 % of a 1,000-node netsim run's
    /// allocations. It grows to the largest manifest the thread decoded, at most <see cref="DeltaLimits.MaxManifestBytes"/>
    /// (longer input is refused before it is parsed).</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_canonical;

    /// <summary>
    /// Parses canonical manifest bytes and checks the manifest's internal consistency and caps. Throws
    /// <see cref="ProtocolException"/>(<see cref="ProtocolErrorCode.MalformedMessage"/>) on anything wrong.
    /// Says nothing about the signature or compatibility: that is <see cref="SignedDelta.Verify"/>.
    /// </summary>
    public static DeltaManifest Decode(ReadOnlyMemory<byte> bytes)
    {
        const string what = "manifest";
        if (bytes.Length > DeltaLimits.MaxManifestBytes)
        {
            throw BodyReader.Malformed(what, $"{bytes.Length} bytes exceeds the {DeltaLimits.MaxManifestBytes}-byte cap");
        }

        DeltaManifest manifest = BodyReader.Guard(what, () =>
        {
            var r = new BodyReader(bytes, what);
            r.ReadArrayHeader(what, ElementCount, ElementCount);
            byte version = r.ReadUInt8("version");
            if (version != FormatVersion)
            {
                throw r.Error($"version {version} is not {FormatVersion}");
            }

            byte[] mesh = r.ReadFixedBin("mesh_id", DeltaLimits.HashLength);
            byte[] baseModel = r.ReadFixedBin("base_model_hash", DeltaLimits.HashLength);
            byte[] schema = r.ReadFixedBin("schema_hash", DeltaLimits.HashLength);
            byte[] origin = r.ReadFixedBin("origin", DeltaLimits.HashLength);
            ulong sequence = r.ReadUInt64("sequence");
            ulong timestamp = r.ReadUInt64("timestamp_ms");
            ManifestTensor[] tensors = ReadTensors(ref r);
            r.ReadArrayHeader("dp", 3, 3);
            double clip = r.ReadDouble("dp.clip_norm");
            double sigma = r.ReadDouble("dp.noise_multiplier");
            double? q = r.TryReadNil() ? null : r.ReadDouble("dp.sampling_rate");
            uint chunkSize = r.ReadUInt32("chunk_size");
            ulong total = r.ReadUInt64("total_size");
            if (chunkSize is 0 or > DeltaLimits.MaxChunkSize)
            {
                throw r.Error($"chunk_size {chunkSize} outside 1..{DeltaLimits.MaxChunkSize}");
            }

            if (total is 0 or > DeltaLimits.MaxTotalSize)
            {
                throw r.Error($"total_size {total} outside 1..{DeltaLimits.MaxTotalSize}");
            }

            // Checked against the declared sizes before the hash list is copied.
            int chunkCount = ChunkCountFor((long)total, (int)chunkSize);
            if (chunkCount > DeltaLimits.MaxChunkCount)
            {
                throw r.Error($"{chunkCount} chunks exceed the {DeltaLimits.MaxChunkCount}-chunk cap");
            }

            byte[] hashes = r.ReadBin("chunk_hashes", chunkCount * DeltaLimits.HashLength, chunkCount * DeltaLimits.HashLength).ToArray();
            if (!r.End)
            {
                throw r.Error("bytes after the manifest array");
            }

            return new DeltaManifest
            {
                MeshId = mesh,
                BaseModelHash = baseModel,
                SchemaHash = schema,
                Origin = origin,
                Sequence = sequence,
                TimestampMs = timestamp,
                Tensors = tensors,
                Privacy = new DpParameters(clip, sigma, q),
                ChunkSize = (int)chunkSize,
                TotalSize = (long)total,
                ChunkHashes = hashes,
            };
        });

        if (manifest.Problem() is { } problem)
        {
            throw BodyReader.Malformed(what, problem);
        }

        ArrayBufferWriter<byte> canonical = t_canonical ??= new ArrayBufferWriter<byte>(Math.Max(1024, bytes.Length));
        canonical.ResetWrittenCount();
        manifest.WriteUnchecked(canonical);
        if (!bytes.Span.SequenceEqual(canonical.WrittenSpan))
        {
            throw BodyReader.Malformed(what, "not in canonical encoding (shortest integers, float32 scales, float64 DP parameters)");
        }

        return manifest;
    }

    private static ManifestTensor[] ReadTensors(ref BodyReader r)
    {
        int count = r.ReadArrayHeader("tensors", 1, DeltaLimits.MaxTensors);
        var tensors = new ManifestTensor[count];
        for (int i = 0; i < count; i++)
        {
            r.ReadArrayHeader("tensor", 4, 4);
            string name = r.ReadString("tensor.name", 1, TensorInfo.MaxNameBytes);
            int rank = r.ReadArrayHeader("tensor.shape", 1, TensorInfo.MaxRank);
            var shape = new int[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++)
            {
                uint dim = r.ReadUInt32("tensor.shape");
                if (dim == 0 || dim > DeltaLimits.MaxTotalSize)
                {
                    throw r.Error($"tensor '{name}' dimension {dim} outside 1..{DeltaLimits.MaxTotalSize}");
                }

                // Both factors ≤ 2^26 and the product is capped after every step, so this never overflows.
                elements *= dim;
                if ((ulong)elements > DeltaLimits.MaxTotalSize)
                {
                    throw r.Error($"tensor '{name}' has more elements than a delta may hold");
                }

                shape[d] = (int)dim;
            }

            var encoding = (TensorEncoding)r.ReadUInt8("tensor.encoding");
            if (!TensorEncodings.IsDefined(encoding))
            {
                throw r.Error($"tensor '{name}' has unknown encoding {(byte)encoding}");
            }

            tensors[i] = new ManifestTensor(new TensorInfo(name, shape), encoding, r.ReadSingle("tensor.scale"));
        }

        return tensors;
    }

    /// <summary>Null when the manifest is internally consistent and within the caps of §7, else what is wrong.</summary>
    public string? Problem()
    {
        if (MeshId.Length != DeltaLimits.HashLength || BaseModelHash.Length != DeltaLimits.HashLength
            || SchemaHash.Length != DeltaLimits.HashLength || Origin.Length != DeltaLimits.HashLength)
        {
            return "mesh id, base-model hash, schema hash and origin must be 32 bytes each";
        }

        if (Tensors is null || Tensors.Count is 0 or > DeltaLimits.MaxTensors)
        {
            return $"tensor count must be 1..{DeltaLimits.MaxTensors}";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        long payload = 0, payloadMax = 0;
        foreach (ManifestTensor t in Tensors)
        {
            if (!names.Add(t.Info.Name))
            {
                return $"duplicate tensor '{t.Info.Name}'";
            }

            if (!TensorEncodings.IsDefined(t.Encoding))
            {
                return $"tensor '{t.Info.Name}' has unknown encoding {(byte)t.Encoding}";
            }

            bool scaleOk = t.Encoding switch
            {
                TensorEncoding.ModuloInt8 => ModuloCodec.IsValidScale(t.Scale),
                _ when t.Encoding.HasScale() => float.IsFinite(t.Scale) && t.Scale >= 0,
                _ => t.Scale == 0 && !float.IsNegative(t.Scale),
            };
            if (!scaleOk)
            {
                return $"tensor '{t.Info.Name}' scale {t.Scale} is invalid for {t.Encoding} (int8, sparse int8, block int8: finite ≥ 0; modulo int8: finite ≥ 2^-126; float encodings: +0)";
            }

            payload += t.MinByteLength;
            payloadMax += t.MaxByteLength;
            if ((ulong)payload > DeltaLimits.MaxTotalSize)
            {
                return $"tensors need more than {DeltaLimits.MaxTotalSize} bytes";
            }
        }

        // Dense tensors fix the payload's length; a sparse tensor's length is in its bitmap (checked exactly when the
        // payload is decoded), so the manifest can only bound it: bitmaps alone ≤ total_size ≤ bitmaps and every element.
        if (payload == payloadMax && payload != TotalSize)
        {
            return $"total_size {TotalSize} differs from the {payload} bytes the tensor list needs";
        }

        if (TotalSize < payload || TotalSize > payloadMax)
        {
            return $"total_size {TotalSize} outside the {payload}..{payloadMax} bytes the tensor list can take";
        }

        if (Privacy?.Problem() is { } dp)
        {
            return dp;
        }

        if (Privacy is null)
        {
            return "DP parameters are missing";
        }

        if (ChunkSize is <= 0 or > DeltaLimits.MaxChunkSize)
        {
            return $"chunk size {ChunkSize} outside 1..{DeltaLimits.MaxChunkSize}";
        }

        int chunks = ChunkCountFor(TotalSize, ChunkSize);
        if (chunks > DeltaLimits.MaxChunkCount)
        {
            return $"{chunks} chunks exceed the {DeltaLimits.MaxChunkCount}-chunk cap";
        }

        return ChunkHashes.Length != chunks * DeltaLimits.HashLength ? $"chunk hash list must be {chunks} × 32 bytes" : null;
    }
}
