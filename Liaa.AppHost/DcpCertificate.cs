using System.Reflection;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Liaa.AppHost;

/// <summary>
/// Starts DCP's API server with a certificate on an ECDSA P-256 key made here, instead of the 4096-bit RSA key DCP
/// generates at every start when given none. The RSA key took 1-2 s of CPU (perf: DCP's time in OpenSSL's prime
/// search) and 9-15 s of wall time on two busy cores, all of it before any resource could start; the P-256 key takes
/// about a millisecond, and DCP then starts its API server in well under a second (BENCHMARKS.md, "Start-up").
/// </summary>
/// <remarks>
/// <para>
/// How: DCP accepts <c>--tls-cert-file</c> and <c>--tls-key-file</c>, but Aspire (13.6) starts it with arguments of its own.
/// Aspire runs whatever <c>DcpPublisher:CliPath</c> names, so this points it at a short shell script in a private
/// temporary directory (mode 0700, files 0600) that runs the real DCP (from the AppHost's assembly metadata, where the
/// Aspire SDK records it) with those two arguments added to <c>start-apiserver</c>, and unchanged otherwise.
/// DCP then writes the certificate as the trust anchor of the kubeconfig it hands the AppHost, as it does its own.
/// The script also exports the environment the AppHost means for DCP alone (<c>DCP_DISABLE_MONITOR_PROCESS</c>, Program.cs),
/// so the AppHost's own environment, and that of a test process the AppHost is built in, stays as it was.
/// </para>
/// <para>
/// The script moves the key and certificate into DCP's session folder (private too, <c>DCP_SESSION_FOLDER</c>) as it
/// starts DCP (after the AppHost tests, <c>kill -9</c> included, no key file was left in the temporary folder); the
/// script's own directory is deleted when the AppHost stops, or by the next AppHost after a <c>kill -9</c>. Nothing changes on Windows, or when
/// <c>DcpPublisher:CliPath</c> or <c>ASPIRE_DCP_PATH</c> is set (DCP is then whatever they say), or when the DCP the
/// SDK recorded is not there (Aspire then reports it as usual).
/// </para>
/// </remarks>
internal sealed class DcpCertificate(DirectoryInfo directory) : IHostedService
{
    /// <summary>
    /// Points Aspire at the wrapper script, which also sets <paramref name="dcpEnvironment"/> for DCP alone (DCP inherits
    /// the AppHost's environment, and the AppHost's own stays as it was: an AppHost run inside a test process leaves that
    /// process's environment alone). Returns false where no wrapper is used (see the remarks): the caller then has no
    /// other way to DCP's environment than its own.
    /// </summary>
    public static bool Use(IDistributedApplicationBuilder builder, IReadOnlyDictionary<string, string> dcpEnvironment)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        if (!string.IsNullOrEmpty(builder.Configuration["DcpPublisher:CliPath"])
            || !string.IsNullOrEmpty(builder.Configuration["ASPIRE_DCP_PATH"])
            || typeof(DcpCertificate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => string.Equals(a.Key, "DcpCliPath", StringComparison.OrdinalIgnoreCase))?.Value is not { Length: > 0 } dcp
            || !File.Exists(dcp))
        {
            return false;
        }

        RemoveLeftovers();
        var directory = Directory.CreateTempSubdirectory($"liaa-dcp-{Environment.ProcessId}-");
        var certificate = Path.Combine(directory.FullName, "apiserver.crt");
        var key = Path.Combine(directory.FullName, "apiserver.key");
        var wrapper = Path.Combine(directory.FullName, "dcp");
        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            Write(key, ecdsa.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var self = Create(ecdsa);
            Write(certificate, self.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Write(
            wrapper,
            $"""
            #!/bin/sh
            # Written by Liaa.AppHost (DcpCertificate.cs): DCP's API server on the certificate made beside this script,
            # moved into DCP's session folder, which DCP deletes when it stops.
            {Exports(dcpEnvironment)}if [ "$1" = start-apiserver ] && [ -d "$DCP_SESSION_FOLDER" ] && mv {Quote(certificate)} {Quote(key)} "$DCP_SESSION_FOLDER/"; then
              exec {Quote(dcp)} "$@" --tls-cert-file "$DCP_SESSION_FOLDER/apiserver.crt" --tls-key-file "$DCP_SESSION_FOLDER/apiserver.key"
            fi
            if [ "$1" = start-apiserver ]; then exec {Quote(dcp)} "$@" --tls-cert-file {Quote(certificate)} --tls-key-file {Quote(key)}; fi
            exec {Quote(dcp)} "$@"

            """,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        builder.Configuration["DcpPublisher:CliPath"] = wrapper;
        builder.Services.AddHostedService(_ => new DcpCertificate(directory));
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Already gone.
        }

        return Task.CompletedTask;
    }

    /// <summary>The directories of AppHosts that are gone without stopping (<c>kill -9</c>): named by their process id.</summary>
    private static void RemoveLeftovers()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var leftover in Directory.EnumerateDirectories(Path.GetTempPath(), "liaa-dcp-*"))
        {
            var parts = Path.GetFileName(leftover).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(leftover, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's, or being removed.
                }
            }
        }
    }

    /// <summary>A self-signed server certificate for the loopback API server, its own trust anchor (as DCP's own is).</summary>
    private static X509Certificate2 Create(ECDsa key)
    {
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
    }

    [UnsupportedOSPlatform("windows")]
    private static void Write(string path, string text, UnixFileMode mode)
    {
        using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
        using var writer = new StreamWriter(file);
        writer.Write(text);
    }

    /// <summary>One <c>export NAME='value'</c> line per variable, in name order.</summary>
    private static string Exports(IReadOnlyDictionary<string, string> environment) =>
        string.Concat(environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"export {e.Key}={Quote(e.Value)}\n"));

    /// <summary>A word for <c>/bin/sh</c>, in single quotes.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
