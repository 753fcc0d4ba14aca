using System.Collections;

namespace Liaa.Node.Rpc;

/// <summary>
/// The tags an RPC span starts with, handed to <c>ActivitySource.StartActivity</c> rather than added one by one
/// afterwards: the span copies them into its tag list in one go (each <c>Activity.AddTag</c> takes a lock), and
/// samplers see them, as OpenTelemetry asks of instrumentation. One list per thread is reused, and it is its
/// own enumerator, so starting a span allocates nothing here (a second walk during the first, a listener's that walks
/// the tags inside its own walk, gets a copy of its own).
/// </summary>
/// <remarks>
/// Only valid during the <c>StartActivity</c> call it is passed to: a sampler reads the tags there (OpenTelemetry's
/// do), and the span copies them. A span started while another is being started on the same thread (a sampler
/// that starts one) rents a list of its own.
/// </remarks>
internal sealed class SpanStartTags : IEnumerable<KeyValuePair<string, object?>>, IEnumerator<KeyValuePair<string, object?>>
{
    private const int Capacity = 6;

    [ThreadStatic]
    private static SpanStartTags? t_free;

    private readonly KeyValuePair<string, object?>[] _tags = new KeyValuePair<string, object?>[Capacity];
    private int _count;
    private int _index = -1;
    private bool _enumerating;

    private SpanStartTags()
    {
    }

    public KeyValuePair<string, object?> Current => _tags[_index];

    object IEnumerator.Current => Current;

    /// <summary>This thread's list, empty; a new one when it is in use.</summary>
    public static SpanStartTags Rent()
    {
        var tags = t_free ?? new SpanStartTags();
        t_free = null;
        return tags;
    }

    /// <summary>Gives the list back, emptied, once the span is started.</summary>
    public void Return()
    {
        Array.Clear(_tags, 0, _count);
        _count = 0;
        _index = -1;
        _enumerating = false;
        t_free = this;
    }

    public void Add(string key, object? value) => _tags[_count++] = new(key, value);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        if (_enumerating)
        {
            // This list is the enumerator of the walk under way: resetting it would end that walk early.
            return ((IEnumerable<KeyValuePair<string, object?>>)_tags[.._count]).GetEnumerator();
        }

        _enumerating = true;
        _index = -1;
        return this;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool MoveNext() => ++_index < _count;

    public void Reset() => _index = -1;

    public void Dispose() => _enumerating = false;
}
