using System.Reflection;
using Liaa.Node.Wire;

namespace Liaa.Tests.Storage;

/// <summary>DhtValues for tests, whether or not the MessagePack codec (issue 2) has landed.</summary>
internal static class TestValues
{
    private static readonly ConstructorInfo Constructor = typeof(DhtValue).GetConstructor(
        BindingFlags.NonPublic | BindingFlags.Instance, [typeof(DhtValueKind), typeof(byte[])])
        ?? throw new InvalidOperationException("DhtValue(DhtValueKind, byte[]) is gone: use DhtValue.FromBytes here.");

    /// <summary>A bytes value; its encoding is MessagePack bin 8 (2 header bytes), so Size = length + 2 for fewer than 256 bytes.</summary>
    public static DhtValue Bytes(params byte[] data)
    {
        if (data.Length > 255)
        {
            throw new ArgumentException("Test values stay below 256 bytes (bin 8).", nameof(data));
        }

        // TODO issue 2: DhtValue.FromBytes(data) once the codec lands; this builds the same canonical bytes.
        byte[] encoded = [0xc4, (byte)data.Length, .. data];
        return (DhtValue)Constructor.Invoke([DhtValueKind.Bytes, encoded]);
    }

    /// <summary>A bytes value of <paramref name="length"/> bytes, all <paramref name="fill"/>.</summary>
    public static DhtValue OfLength(int length, byte fill = 1) => Bytes(Enumerable.Repeat(fill, length).ToArray());
}
