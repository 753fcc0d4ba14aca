namespace Liaa.Node.Wire;

/// <summary>The kinds of value Python peers accept (WIRE.md).</summary>
public enum DhtValueKind
{
    Integer,
    Float,
    Boolean,
    String,
    Bytes,
}

/// <summary>
/// A stored value: one of the kinds Python peers can live with, held as its canonical MessagePack
/// encoding (so re-encoding is byte-exact and storage is one array). Equality is byte equality.
/// PLACEHOLDER API: implemented with the MessagePack codec (issue 2).
/// </summary>
public sealed class DhtValue : IEquatable<DhtValue>
{
    private DhtValue(DhtValueKind kind, byte[] encoded)
    {
        Kind = kind;
        EncodedArray = encoded;
    }

    public DhtValueKind Kind { get; }

    internal byte[] EncodedArray { get; }

    /// <summary>The canonical MessagePack encoding of the value.</summary>
    public ReadOnlyMemory<byte> Encoded => EncodedArray;

    public static DhtValue FromString(string value) => throw new NotImplementedException();

    public static DhtValue FromBytes(ReadOnlySpan<byte> value) => throw new NotImplementedException();

    public static DhtValue FromInt64(long value) => throw new NotImplementedException();

    public static DhtValue FromUInt64(ulong value) => throw new NotImplementedException();

    public static DhtValue FromDouble(double value) => throw new NotImplementedException();

    public static DhtValue FromBoolean(bool value) => throw new NotImplementedException();

    /// <summary>Decodes exactly one MessagePack value of an accepted kind (nothing may follow it).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> messagePack, out DhtValue? value) => throw new NotImplementedException();

    public string AsString() => throw new NotImplementedException();

    public byte[] AsBytes() => throw new NotImplementedException();

    public long AsInt64() => throw new NotImplementedException();

    public ulong AsUInt64() => throw new NotImplementedException();

    public double AsDouble() => throw new NotImplementedException();

    public bool AsBoolean() => throw new NotImplementedException();

    public bool Equals(DhtValue? other) => other is not null && Kind == other.Kind && EncodedArray.AsSpan().SequenceEqual(other.EncodedArray);

    public override bool Equals(object? obj) => Equals(obj as DhtValue);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(EncodedArray);
        return hash.ToHashCode();
    }
}
