using System.Diagnostics;

namespace InferenceServer.Testing;

/// <summary>Runs a program to its exit and collects what it wrote: for tests and the bench alike.</summary>
public static class ProcessRun
{
    /// <summary>
    /// Starts <paramref name="startInfo"/> with its output redirected here and waits up to <paramref name="limit"/>; a
    /// program still running then is killed with its child processes.
    /// </summary>
    /// <returns>Its exit code (null when it was killed at the limit), standard output and standard error.</returns>
    /// <exception cref="FileNotFoundException">The program could not be started.</exception>
    public static async Task<(int? ExitCode, string Output, string Error)> ToExitAsync(ProcessStartInfo startInfo, TimeSpan limit)
    {
        startInfo.RedirectStandardOutput = startInfo.RedirectStandardError = true;
        using var process = Process.Start(startInfo) ?? throw new FileNotFoundException($"could not start {startInfo.FileName}", startInfo.FileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        bool killed = false;
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            killed = true;
        }
        return (killed ? null : process.ExitCode, await stdout, await stderr);
    }
}
