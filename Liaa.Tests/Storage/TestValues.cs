using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Storage;

/// <summary>DhtValues for storage tests.</summary>
internal static class TestValues
{
    /// <summary>A bytes value; its encoding is MessagePack bin 8 (2 header bytes), so Size = length + 2 for fewer than 256 bytes.</summary>
    public static DhtValue Bytes(params byte[] data)
    {
        if (data.Length > 255)
        {
            throw new ArgumentException("Test values stay below 256 bytes (bin 8).", nameof(data));
        }

        return DhtValue.FromBytes(data);
    }

    /// <summary>A bytes value of <paramref name="length"/> bytes, all <paramref name="fill"/>.</summary>
    public static DhtValue OfLength(int length, byte fill = 1) => Bytes(Enumerable.Repeat(fill, length).ToArray());
}
