using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Liaa.Node.Kademlia;

/// <summary>
/// Cryptographically secure random bytes for node ids and RPC message ids: on Linux straight from the kernel's
/// generator (<c>getrandom(2)</c>, the source OpenSSL itself seeds from), elsewhere <see cref="RandomNumberGenerator"/>.
/// </summary>
/// <remarks>
/// Why not always <see cref="RandomNumberGenerator"/>: on Linux it calls OpenSSL, and its first call loads
/// <c>libssl</c> and <c>libcrypto</c> (3.4 MB of every node process's RSS, and their initialisation at start-up)
/// into a process that uses nothing else of them: the node speaks plain UDP and plain HTTP. BENCHMARKS.md,
/// "Start-up". If <c>getrandom</c> is missing (a libc without it, a kernel before 3.17) or fails other than by an
/// interrupt, this falls back to <see cref="RandomNumberGenerator"/> for good; it never returns fewer bytes than
/// asked for and never weaker ones.
/// </remarks>
internal static class SecureRandom
{
    private const int Interrupted = 4; // EINTR

    private static volatile bool s_useOpenSsl = !OperatingSystem.IsLinux();

    /// <summary>Fills <paramref name="buffer"/> with secure random bytes.</summary>
    public static void Fill(Span<byte> buffer)
    {
        if (s_useOpenSsl || !TryGetRandom(buffer))
        {
            RandomNumberGenerator.Fill(buffer);
        }
    }

    /// <summary>A secure random 64-bit number: a secret seed, such as the keys of the RPC layer's digests.</summary>
    public static ulong NextUInt64()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    /// <summary>Whether bytes come from <c>getrandom(2)</c> (for the tests: false before the first call fails).</summary>
    internal static bool UsesGetRandom => !s_useOpenSsl;

    private static bool TryGetRandom(Span<byte> buffer)
    {
        try
        {
            var filled = 0;
            while (filled < buffer.Length)
            {
                // getrandom returns at most 32 MiB per call, and may return fewer bytes when interrupted.
                var read = NativeMethods.getrandom(ref buffer[filled], (nuint)(buffer.Length - filled), 0);
                if (read > 0)
                {
                    filled += (int)read;
                }
                else if (read < 0 && Marshal.GetLastPInvokeError() == Interrupted)
                {
                    continue;
                }
                else
                {
                    s_useOpenSsl = true;
                    return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_useOpenSsl = true;
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern nint getrandom(ref byte buffer, nuint length, uint flags);
    }
}
