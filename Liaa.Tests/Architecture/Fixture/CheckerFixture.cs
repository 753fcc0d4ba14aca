using System.Net.Sockets;

namespace Liaa.Tests.Architecture.Fixture.Core
{
    /// <summary>Refers to the clock only inside a method body.</summary>
    internal sealed class ReadsTheClock
    {
        public long Ticks() => DateTimeOffset.UtcNow.Ticks;
    }

    /// <summary>Refers to a socket only in a signature.</summary>
    internal sealed class HoldsASocket
    {
        public Socket? Socket { get; init; }
    }

    /// <summary>Takes the time as an argument, as the core does: allowed.</summary>
    internal sealed class TakesTheTime
    {
        public long Ticks(DateTimeOffset now) => now.Ticks;
    }

    /// <summary>Calls a layer above it.</summary>
    internal sealed class CallsOutward
    {
        public object Run() => Outer.Caller.Make();
    }
}

namespace Liaa.Tests.Architecture.Fixture.Outer
{
    internal static class Caller
    {
        public static object Make() => new Core.TakesTheTime();
    }
}
