namespace Liaa.Node.Bench;

/// <summary>
/// Durations collected by a benchmark, and their percentiles (nearest rank, as OpenDHT's and most
/// load tools report them). Not thread-safe: one collector per worker, then <see cref="Merge"/>.
/// </summary>
internal sealed class LatencySample
{
    private readonly List<double> _milliseconds = [];

    public int Count => _milliseconds.Count;

    public void Add(TimeSpan duration) => _milliseconds.Add(duration.TotalMilliseconds);

    public void AddMilliseconds(double milliseconds) => _milliseconds.Add(milliseconds);

    public static LatencySample Merge(IEnumerable<LatencySample> samples)
    {
        var merged = new LatencySample();
        foreach (var sample in samples)
        {
            merged._milliseconds.AddRange(sample._milliseconds);
        }

        return merged;
    }

    /// <summary>The <paramref name="percentile"/>-th percentile (0–100) in milliseconds; NaN when empty.</summary>
    public double Percentile(double percentile)
    {
        if (_milliseconds.Count == 0)
        {
            return double.NaN;
        }

        var sorted = _milliseconds.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double Mean => _milliseconds.Count == 0 ? double.NaN : _milliseconds.Average();

    public double Max => _milliseconds.Count == 0 ? double.NaN : _milliseconds.Max();
}
