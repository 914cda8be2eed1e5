using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetOrchestrator.CommandProtocol;

// The command host's wire protocol (docs/command-host.md): one JSON object per line, UTF-8, "type" first or anywhere.

/// <summary>What a client sends: <see cref="HelloFrame"/> once, then <see cref="RequestFrame"/>s one at a time.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(HelloFrame), "hello")]
[JsonDerivedType(typeof(RequestFrame), "request")]
public abstract record ClientFrame;

/// <summary>Opens a session. <see cref="Token"/> is required when the host has operator tokens.</summary>
public sealed record HelloFrame(int Version, string? Token = null, string? Client = null) : ClientFrame;

/// <summary>Runs <see cref="Command"/> of <see cref="Palette"/> with the argument tokens as typed (the host parses them).</summary>
public sealed record RequestFrame(string Palette, string Command, IReadOnlyList<string> Arguments) : ClientFrame;

/// <summary>What the host sends: a <see cref="WelcomeFrame"/> after hello, then per request output frames ending with one <see cref="EndFrame"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(WelcomeFrame), "welcome")]
[JsonDerivedType(typeof(LineFrame), "line")]
[JsonDerivedType(typeof(TableFrame), "table")]
[JsonDerivedType(typeof(ProgressFrame), "progress")]
[JsonDerivedType(typeof(ValueFrame), "value")]
[JsonDerivedType(typeof(EndFrame), "end")]
public abstract record ServerFrame;

/// <summary>The palettes this host implements and the role the session was granted.</summary>
public sealed record WelcomeFrame(int Version, string Node, OperatorRole Role, IReadOnlyList<PaletteDefinition> Palettes) : ServerFrame;

/// <summary>A line of text output.</summary>
public sealed record LineFrame(string Text) : ServerFrame;

/// <summary>Rows of a table; a long listing comes as several frames with the same columns.</summary>
public sealed record TableFrame(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string?>> Rows, string? Title = null) : ServerFrame;

/// <summary>A step of long work: <see cref="Task"/> names what progresses, <see cref="Done"/> of <see cref="Total"/> when countable.</summary>
public sealed record ProgressFrame(string Task, string Message, long? Done = null, long? Total = null) : ServerFrame;

/// <summary>A structured result (a target, a device), for <c>--json</c> and for printing as JSON.</summary>
public sealed record ValueFrame(JsonElement Value) : ServerFrame;

/// <summary>The end of a request: <see cref="ExitCode"/> (see <see cref="ExitCodes"/>) and, when it failed, an error code and what is wrong.</summary>
public sealed record EndFrame(int ExitCode, string? Error = null, string? Message = null) : ServerFrame
{
    public static EndFrame Ok { get; } = new(ExitCodes.Ok);
}

public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran and failed (publish failed, device unknown, ...).</summary>
    public const int Failed = 1;
    /// <summary>The request is wrong: bad frame, unknown palette or command, bad arguments.</summary>
    public const int Usage = 2;
    /// <summary>No token, an unknown token, or a role below what the command needs.</summary>
    public const int Forbidden = 3;
    /// <summary>The host lists the command but does not implement it yet.</summary>
    public const int NotImplemented = 4;
    /// <summary>pbm could not reach the host or the connection broke (client side only).</summary>
    public const int Unavailable = 5;
}

public static class ErrorCodes
{
    public const string BadFrame = "bad-frame";
    public const string FrameTooLarge = "frame-too-large";
    public const string UnsupportedVersion = "unsupported-version";
    public const string UnknownPalette = "unknown-palette";
    public const string UnknownCommand = "unknown-command";
    public const string Usage = "usage";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotImplemented = "not-implemented";
    public const string NotFound = "not-found";
    public const string Failed = "failed";
    public const string Timeout = "timeout";
    public const string Busy = "busy";
    /// <summary>Hello refused: too many failed tokens from this address lately.</summary>
    public const string Throttled = "throttled";
    /// <summary>The command finished but its audit journal entry could not be recorded (the message says what it did).</summary>
    public const string AuditFailed = "audit-failed";
}
