using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Liaa.Benchmarks.Baseline;
using Liaa.Node.Wire;
using LibraryWriter = MessagePack.MessagePackWriter;

namespace Liaa.Benchmarks;

/// <summary>
/// Liaa's MessagePack primitives against MessagePack-CSharp 2.5.307's <c>MessagePackReader</c> and
/// <c>MessagePackWriter</c> (the low-level primitives, not its serializer), on the 122 datagrams
/// captured from the Python reference and on 732 hostile bodies mutated from them (see
/// <see cref="WireCorpus"/>). Every figure is per datagram body (OperationsPerInvoke).
/// </summary>
/// <remarks>
/// <para>Writers: each capture's tokens written again (strings from UTF-16, as the vector tests do).
/// <c>HandWritten</c> is the writer Liaa had (Baseline/), <c>Library</c> the package's writer as is,
/// <c>Node</c> the node's <see cref="MessagePackWriter"/> (the library plus the lone-surrogate check).
/// The setup checks that every one of them gives the captured bytes back. "Encode 20 contacts" writes
/// the codec's largest body (a FIND_NODE answer) the way the codec does, from UTF-8 and binary spans.</para>
/// <para>Readers: see <see cref="WireReaders"/>. The setup prints how many bodies each reader accepted,
/// rejected and threw on; the Exceptions column is thrown exceptions per body.</para>
/// <para>The figures and the decision they led to: Liaa.Node/Wire/README.md. Run:
/// <c>dotnet run -c Release --project Liaa.Benchmarks -- --filter '*WirePrimitives*' --iterationCount 10</c>.</para>
/// </remarks>
[MemoryDiagnoser]
[ExceptionDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class WirePrimitivesBenchmarks
{
    private const int ContactCount = 20;
    private static readonly byte[] ContactId = [.. Enumerable.Range(0, 20).Select(i => (byte)(i * 13))];
    private static readonly byte[] ContactAddress = "10.0.17.18"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _output = new(1 << 16);
    private WireCorpus _corpus = null!;

    [GlobalSetup]
    public void Setup()
    {
        _corpus = WireCorpus.Load();
        CheckWriters();
        var handWritten = EncodeContacts_HandWritten();
        if (EncodeContacts_Node() != handWritten)
        {
            throw new InvalidOperationException("The two writers disagree on a contact list.");
        }

        // A header claiming 2^32 - 1 elements, none present: the library refuses it, by throwing.
        Console.WriteLine($"// Library: ReadArrayHeader() of dd ffffffff: {LibraryArrayHeader([0xdd, 0xff, 0xff, 0xff, 0xff])}");
        Console.WriteLine($"// Corpus: {_corpus.Bodies.Length} captured bodies, {_corpus.Hostile.Length} hostile ("
            + string.Join(", ", _corpus.Hostile.GroupBy(h => h.Mutation).Select(g => $"{g.Count()} {g.Key}")) + ")");
        Report("captures", [.. _corpus.Bodies.Select(b => ("capture", b))]);
        Report("hostile", _corpus.Hostile);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = WireCorpus.CaptureCount)]
    [BenchmarkCategory("Encode captures")]
    public int Encode_HandWritten()
    {
        var total = 0;
        foreach (var tokens in _corpus.Tokens)
        {
            _output.ResetWrittenCount();
            var writer = new HandWrittenMessagePackWriter(_output);
            foreach (var token in tokens)
            {
                Write(writer, token);
            }

            total += _output.WrittenCount;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = WireCorpus.CaptureCount)]
    [BenchmarkCategory("Encode captures")]
    public int Encode_Library()
    {
        var total = 0;
        foreach (var tokens in _corpus.Tokens)
        {
            _output.ResetWrittenCount();
            var writer = new LibraryWriter(_output);
            foreach (var token in tokens)
            {
                Write(ref writer, token);
            }

            writer.Flush();
            total += _output.WrittenCount;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = WireCorpus.CaptureCount)]
    [BenchmarkCategory("Encode captures")]
    public int Encode_Node()
    {
        var total = 0;
        foreach (var tokens in _corpus.Tokens)
        {
            _output.ResetWrittenCount();
            var writer = new MessagePackWriter(_output);
            foreach (var token in tokens)
            {
                Write(ref writer, token);
            }

            writer.Flush();
            total += _output.WrittenCount;
        }

        return total;
    }

    /// <summary>The codec's largest body, token for token: a FIND_NODE answer of 20 IPv4 contacts.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Encode 20 contacts")]
    public int EncodeContacts_HandWritten()
    {
        _output.ResetWrittenCount();
        var writer = new HandWrittenMessagePackWriter(_output);
        writer.WriteArrayHeader(ContactCount);
        for (var i = 0; i < ContactCount; i++)
        {
            writer.WriteArrayHeader(3);
            writer.WriteBinary(ContactId);
            writer.WriteStringUtf8(ContactAddress);
            writer.WriteUInt64((ulong)(8468 + i));
        }

        return _output.WrittenCount;
    }

    [Benchmark]
    [BenchmarkCategory("Encode 20 contacts")]
    public int EncodeContacts_Node()
    {
        _output.ResetWrittenCount();
        var writer = new MessagePackWriter(_output);
        writer.WriteArrayHeader(ContactCount);
        for (var i = 0; i < ContactCount; i++)
        {
            writer.WriteArrayHeader(3);
            writer.WriteBinary(ContactId);
            writer.WriteStringUtf8(ContactAddress);
            writer.WriteUInt64((ulong)(8468 + i));
        }

        writer.Flush();
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = WireCorpus.CaptureCount)]
    [BenchmarkCategory("Decode captures")]
    public int DecodeCaptures_Liaa() => Count(_corpus.Bodies, ReadOutcome.Accepted, WireReaders.Liaa);

    [Benchmark(OperationsPerInvoke = WireCorpus.CaptureCount)]
    [BenchmarkCategory("Decode captures")]
    public int DecodeCaptures_Library() => Count(_corpus.Bodies, ReadOutcome.Accepted, WireReaders.Library);

    [Benchmark(OperationsPerInvoke = WireCorpus.CaptureCount)]
    [BenchmarkCategory("Decode captures")]
    public int DecodeCaptures_Guarded() => Count(_corpus.Bodies, ReadOutcome.Accepted, WireReaders.Guarded);

    [Benchmark(Baseline = true, OperationsPerInvoke = WireCorpus.HostileCount)]
    [BenchmarkCategory("Decode hostile")]
    public int DecodeHostile_Liaa() => CountHostile(WireReaders.Liaa);

    [Benchmark(OperationsPerInvoke = WireCorpus.HostileCount)]
    [BenchmarkCategory("Decode hostile")]
    public int DecodeHostile_Library() => CountHostile(WireReaders.Library);

    [Benchmark(OperationsPerInvoke = WireCorpus.HostileCount)]
    [BenchmarkCategory("Decode hostile")]
    public int DecodeHostile_Guarded() => CountHostile(WireReaders.Guarded);

    private static int Count(byte[][] bodies, ReadOutcome wanted, Func<byte[], ReadOutcome> read)
    {
        var count = 0;
        foreach (var body in bodies)
        {
            count += read(body) == wanted ? 1 : 0;
        }

        return count;
    }

    private static string LibraryArrayHeader(byte[] bytes)
    {
        try
        {
            var reader = new global::MessagePack.MessagePackReader(bytes);
            return $"count {reader.ReadArrayHeader()}";
        }
        catch (EndOfStreamException exception)
        {
            return $"{exception.GetType().Name}";
        }
    }

    private static void Write(HandWrittenMessagePackWriter writer, Token token)
    {
        switch (token.Kind)
        {
            case TokenKind.Nil: writer.WriteNil(); break;
            case TokenKind.Boolean: writer.WriteBoolean(token.Flag); break;
            case TokenKind.Signed: writer.WriteInt64(token.Signed); break;
            case TokenKind.Unsigned: writer.WriteUInt64(token.Unsigned); break;
            case TokenKind.Float64: writer.WriteDouble(token.Float); break;
            case TokenKind.Float32: writer.WriteSingle((float)token.Float); break;
            case TokenKind.String: writer.WriteString(token.Text); break;
            case TokenKind.Binary: writer.WriteBinary(token.Bytes); break;
            case TokenKind.Array: writer.WriteArrayHeader(token.Count); break;
            default: writer.WriteMapHeader(token.Count); break;
        }
    }

    private static void Write(ref LibraryWriter writer, Token token)
    {
        switch (token.Kind)
        {
            case TokenKind.Nil: writer.WriteNil(); break;
            case TokenKind.Boolean: writer.Write(token.Flag); break;
            case TokenKind.Signed: writer.Write(token.Signed); break;
            case TokenKind.Unsigned: writer.Write(token.Unsigned); break;
            case TokenKind.Float64: writer.Write(token.Float); break;
            case TokenKind.Float32: writer.Write((float)token.Float); break;
            case TokenKind.String: writer.Write(token.Text); break;
            case TokenKind.Binary: writer.Write(token.Bytes); break;
            case TokenKind.Array: writer.WriteArrayHeader(token.Count); break;
            default: writer.WriteMapHeader(token.Count); break;
        }
    }

    private static void Write(ref MessagePackWriter writer, Token token)
    {
        switch (token.Kind)
        {
            case TokenKind.Nil: writer.WriteNil(); break;
            case TokenKind.Boolean: writer.WriteBoolean(token.Flag); break;
            case TokenKind.Signed: writer.WriteInt64(token.Signed); break;
            case TokenKind.Unsigned: writer.WriteUInt64(token.Unsigned); break;
            case TokenKind.Float64: writer.WriteDouble(token.Float); break;
            case TokenKind.Float32: writer.WriteSingle((float)token.Float); break;
            case TokenKind.String: writer.WriteString(token.Text); break;
            case TokenKind.Binary: writer.WriteBinary(token.Bytes); break;
            case TokenKind.Array: writer.WriteArrayHeader(token.Count); break;
            default: writer.WriteMapHeader(token.Count); break;
        }
    }

    private int CountHostile(Func<byte[], ReadOutcome> read)
    {
        var rejected = 0;
        foreach (var (_, body) in _corpus.Hostile)
        {
            rejected += read(body) == ReadOutcome.Accepted ? 0 : 1;
        }

        return rejected;
    }

    /// <summary>Every writer must give back the captured bytes, or its timing means nothing.</summary>
    private void CheckWriters()
    {
        for (var i = 0; i < _corpus.Bodies.Length; i++)
        {
            var expected = _corpus.Bodies[i];
            var handWritten = new ArrayBufferWriter<byte>();
            var hand = new HandWrittenMessagePackWriter(handWritten);
            var libraryOutput = new ArrayBufferWriter<byte>();
            var library = new LibraryWriter(libraryOutput);
            var nodeOutput = new ArrayBufferWriter<byte>();
            var node = new MessagePackWriter(nodeOutput);
            foreach (var token in _corpus.Tokens[i])
            {
                Write(hand, token);
                Write(ref library, token);
                Write(ref node, token);
            }

            library.Flush();
            node.Flush();
            if (!handWritten.WrittenSpan.SequenceEqual(expected) || !libraryOutput.WrittenSpan.SequenceEqual(expected)
                || !nodeOutput.WrittenSpan.SequenceEqual(expected))
            {
                throw new InvalidOperationException($"Capture {i} does not re-encode byte for byte.");
            }
        }
    }

    private static void Report(string name, (string Mutation, byte[] Body)[] bodies)
    {
        foreach (var (reader, read) in new (string, Func<byte[], ReadOutcome>)[]
                 {
                     ("Liaa", WireReaders.Liaa), ("Library", WireReaders.Library), ("Guarded", WireReaders.Guarded),
                 })
        {
            var outcomes = bodies.Select(b => (b.Mutation, Outcome: read(b.Body))).ToArray();
            var byMutation = string.Join("; ", outcomes.GroupBy(o => o.Mutation).Select(g =>
                $"{g.Key}: {g.Count(o => o.Outcome == ReadOutcome.Accepted)} accepted, {g.Count(o => o.Outcome == ReadOutcome.Rejected)} rejected, "
                + $"{g.Count(o => o.Outcome == ReadOutcome.Threw)} threw"));
            var acceptedWhatLiaaRefuses = bodies.Where(b => read(b.Body) == ReadOutcome.Accepted && WireReaders.Liaa(b.Body) != ReadOutcome.Accepted).ToArray();

            // Liaa refuses a structurally sound body only for its UTF-8 (the walk after the scan checks nothing else).
            var onlyForUtf8 = acceptedWhatLiaaRefuses.Count(b => WireReaders.IsStructurallySound(b.Body));
            Console.WriteLine($"// {name}, {reader}: {byMutation}; accepted what Liaa refuses: {acceptedWhatLiaaRefuses.Length}"
                + $" ({onlyForUtf8} of them malformed UTF-8 in a sound structure)");
        }
    }
}
