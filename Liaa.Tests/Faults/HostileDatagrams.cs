using Liaa.Tests.Wire;

namespace Liaa.Tests.Faults;

/// <summary>
/// A seeded stream of hostile datagrams: random bytes, and the Python captures truncated, overwritten,
/// bit-flipped, extended, spliced, or left whole under a new message id (so some are valid requests and the
/// node must serve them while the rest are dropped).
/// </summary>
internal sealed class HostileDatagrams(int seed)
{
    private static readonly byte[][] Captures = [.. RpcCaptures.All.Select(c => c.Datagram)];

    private readonly Random _random = new(seed);

    public byte[] Next()
    {
        var seed = Captures[_random.Next(Captures.Length)];
        switch (_random.Next(10))
        {
            case 0:
                return Random(_random.Next(0, 300));
            case 1:
                // A valid type byte and id, then noise: the body decoders see random bytes.
                return [(byte)_random.Next(4), .. Random(20), .. Random(_random.Next(0, 200))];
            case 2:
                return seed[.._random.Next(seed.Length)];
            case 3 or 4 or 5:
                var overwritten = (byte[])seed.Clone();
                for (var n = _random.Next(1, 5); n > 0; n--)
                {
                    overwritten[_random.Next(overwritten.Length)] = (byte)_random.Next(256);
                }

                return overwritten;
            case 6:
                var flipped = (byte[])seed.Clone();
                flipped[_random.Next(flipped.Length)] ^= (byte)(1 << _random.Next(8));
                return flipped;
            case 7:
                var position = _random.Next(seed.Length + 1);
                return [.. seed[..position], .. Random(_random.Next(1, 40)), .. seed[position..]];
            case 8:
                var other = Captures[_random.Next(Captures.Length)];
                return [.. seed[.._random.Next(seed.Length)], .. other[_random.Next(other.Length)..]];
            default:
                // Whole, with a fresh id: a well-formed request (or an unexpected response) from the attacker.
                var renamed = (byte[])seed.Clone();
                _random.NextBytes(renamed.AsSpan(1, 20));
                return renamed;
        }
    }

    private byte[] Random(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }
}
