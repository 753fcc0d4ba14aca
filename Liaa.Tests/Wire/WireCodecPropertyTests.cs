using FsCheck;
using FsCheck.Fluent;
using Liaa.Node.Wire;
using Microsoft.FSharp.Core;

namespace Liaa.Tests.Wire;

/// <summary>
/// Random bytes and mutated captures (bit flips, truncations, insertions, overwrites) against the
/// codec: decoding never throws, and whatever is accepted re-encodes to a datagram that decodes to
/// an equal message. Fixed seeds keep every run the same.
/// </summary>
public sealed class WireCodecPropertyTests
{
    private const int Cases = 2000;

    private enum Mutation
    {
        FlipBit,
        Truncate,
        Insert,
        Overwrite,
    }

    [Fact]
    public void Decode_NeverThrows_AndAcceptedMessagesRoundTrip_ForRandomBytes()
    {
        // Half the datagrams get a valid type byte, so the body decoders see random bytes too.
        var bytes = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));
        var datagrams =
            from typeByte in Gen.Frequency((1, Gen.Choose(0, 255)), (1, Gen.Choose(0, 3)))
            from id in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), MessageId.Length)
            from body in bytes
            select (byte[])[(byte)typeByte, .. id, .. body];

        var (_, rejected) = Check(datagrams, seed: 20250601);
        Assert.True(rejected > Cases / 2, $"{rejected} rejected");
    }

    [Fact]
    public void Decode_NeverThrows_AndAcceptedMessagesRoundTrip_ForMutatedCaptures()
    {
        var seeds = Seeds();
        var mutation =
            from kind in Gen.Elements(Enum.GetValues<Mutation>())
            from position in Gen.Choose(0, 1 << 20)
            from value in Gen.Choose(0, 255)
            select (kind, position, (byte)value);
        var datagrams =
            from seed in Gen.Elements(seeds)
            from count in Gen.Choose(1, 4)
            from mutations in Gen.ListOf(mutation, count)
            select Mutate(seed, mutations);

        // Both paths must be exercised: mutations in ids or values keep datagrams valid, most others do not.
        var (accepted, rejected) = Check(datagrams, seed: 19700101);
        Assert.True(accepted > Cases / 10, $"{accepted} accepted");
        Assert.True(rejected > Cases / 10, $"{rejected} rejected");
    }

    [Fact]
    public void Seeds_AreAccepted_BeforeTheyAreMutated()
    {
        // Otherwise the mutation test would exercise only the rejection paths.
        Assert.All(Seeds(), datagram => Assert.True(RoundTrips(datagram) >= 1));
    }

    private static (int Accepted, int Rejected) Check(Gen<byte[]> datagrams, ulong seed)
    {
        int accepted = 0, rejected = 0;
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(Cases)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
        Prop.ForAll(Arb.From(datagrams), (byte[] datagram) =>
        {
            _ = RoundTrips(datagram) > 0 ? accepted++ : rejected++;
        }).Check(config);
        return (accepted, rejected);
    }

    /// <summary>Every capture, plus the extended form of each (so mutations reach the header too).</summary>
    private static byte[][] Seeds()
    {
        var header = new LiaaHeader(MessageId.LiaaProtocolVersion, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        var seeds = new List<byte[]>();
        foreach (var capture in RpcCaptures.All)
        {
            var id = MessageId.Read(capture.Datagram.AsSpan(1));
            seeds.Add(capture.Datagram);
            seeds.Add(capture.IsRequest
                ? WireAssert.Request(id, RpcCaptures.ExpectedRequest(capture) is StoreRequest store
                    ? store with { PublishedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_748_781_015_250), CacheTtl = TimeSpan.FromMinutes(5) }
                    : RpcCaptures.ExpectedRequest(capture), header)
                : WireAssert.Response(id, RpcCaptures.ExpectedResponse(capture), header));
        }

        return [.. seeds];
    }

    private static byte[] Mutate(byte[] seed, IEnumerable<(Mutation Kind, int Position, byte Value)> mutations)
    {
        var bytes = seed.ToList();
        foreach (var (kind, position, value) in mutations)
        {
            switch (kind)
            {
                case Mutation.FlipBit when bytes.Count > 0:
                    bytes[position % bytes.Count] ^= (byte)(1 << (value % 8));
                    break;
                case Mutation.Truncate:
                    bytes.RemoveRange(position % (bytes.Count + 1), bytes.Count - (position % (bytes.Count + 1)));
                    break;
                case Mutation.Insert:
                    bytes.Insert(position % (bytes.Count + 1), value);
                    break;
                case Mutation.Overwrite when bytes.Count > 0:
                    bytes[position % bytes.Count] = value;
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>
    /// Decodes as the RPC layer will: a request, or a response to each method in turn (the body does
    /// not say which). Each accepted message is written again with the same id and header and must
    /// decode to an equal message. Returns how many interpretations were accepted.
    /// </summary>
    private static int RoundTrips(byte[] datagram)
    {
        if (!WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason))
        {
            Assert.NotEqual(DropReason.None, reason);
            return 0;
        }

        var body = envelope.GetBody(datagram);
        if (envelope.Kind == DatagramKind.Request)
        {
            if (!WireCodec.TryDecodeRequest(body, envelope, out var request, out reason))
            {
                Assert.NotEqual(DropReason.None, reason);
                return 0;
            }

            var (again, decoded) = WireAssert.DecodeRequest(WireAssert.Request(envelope.Id, request, envelope.Header));
            Assert.Equal(request, decoded);
            Assert.Equal(envelope.Header, again.Header);
            return 1;
        }

        var accepted = 0;
        foreach (var method in Enum.GetValues<RpcMethod>())
        {
            if (!WireCodec.TryDecodeResponse(method, body, envelope, out var response, out reason))
            {
                Assert.NotEqual(DropReason.None, reason);
                continue;
            }

            var (again, decoded) = WireAssert.DecodeResponse(method, WireAssert.Response(envelope.Id, response, envelope.Header));
            WireAssert.ResponsesEqual(response, decoded);
            Assert.Equal(envelope.Header, again.Header);
            accepted++;
        }

        return accepted;
    }
}
