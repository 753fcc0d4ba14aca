namespace Liaa.Tests.TestSupport;

/// <summary>The <c>dotnet</c> executable, for tests that start a built <c>.dll</c> as its own process.</summary>
internal static class DotnetHost
{
    /// <summary>
    /// This process when it is <c>dotnet</c>, else <c>DOTNET_HOST_PATH</c> (set by the SDK under
    /// <c>dotnet test</c>), else the install holding the running runtime, else <c>dotnet</c> on PATH.
    /// </summary>
    public static string Find()
    {
        var executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } processPath && string.Equals(Path.GetFileName(processPath), executable, StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        if (Path.GetDirectoryName(typeof(object).Assembly.Location) is { } runtimeDirectory
            && Path.Combine(Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..")), executable) is var candidate
            && File.Exists(candidate))
        {
            return candidate;
        }

        return executable;
    }
}
