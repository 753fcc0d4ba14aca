using System.Runtime.InteropServices;

namespace Liaa.Node.Bench;

/// <summary>The signals that stop a bench: SIGTERM, SIGINT (Ctrl+C) and SIGQUIT.</summary>
internal static class StopSignals
{
    /// <summary>
    /// Runs <paramref name="onSignal"/> when one of them arrives, until disposed. The signal's usual course (the command
    /// line's handler cancels the run, or the process ends) is left alone: <paramref name="onSignal"/> runs first.
    /// </summary>
    public static IDisposable Register(Action onSignal)
    {
        void Handle(PosixSignalContext context) => onSignal();
        return new Registrations(
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handle));
    }

    private sealed class Registrations(params PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
