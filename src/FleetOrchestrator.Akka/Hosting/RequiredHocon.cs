using Akka.Configuration;

namespace FleetOrchestrator.Infrastructure.Hosting;

/// <summary>
/// Reads settings that must be in the HOCON a process loads: their defaults are written once, in <c>hocon/*.conf</c>,
/// never again in code, so a missing key is an error that names it rather than a second, silent default.
/// </summary>
public static class RequiredHocon
{
    public static T Required<T>(this Config hocon, string path, Func<string, T> read) =>
        hocon.HasPath(path) ? read(path) : throw new SettingsException($"{path} is missing from the node's HOCON (hocon/*.conf, or the folder --hocon names)");

    public static string RequiredString(this Config hocon, string path) => hocon.Required(path, p => hocon.GetString(p));

    public static int RequiredInt(this Config hocon, string path) => hocon.Required(path, p => hocon.GetInt(p));

    public static double RequiredDouble(this Config hocon, string path) => hocon.Required(path, p => hocon.GetDouble(p));

    public static TimeSpan RequiredDuration(this Config hocon, string path) => hocon.Required(path, p => hocon.GetTimeSpan(p));
}

/// <summary>A setting the process cannot start without is missing or wrong.</summary>
public sealed class SettingsException(string message) : Exception(message);
