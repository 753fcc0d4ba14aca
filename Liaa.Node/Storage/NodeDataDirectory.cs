using System.Net;
using System.Text;
using Liaa.Node.Kademlia;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Storage;

/// <summary>
/// A node's data directory (<c>serve --data DIR</c>, <see cref="LiaaNodeOptions.DataDirectory"/>): who the
/// node is (<c>node-id</c>), whom it knew (<c>contacts</c>) and what it holds (<c>values.log</c>, see
/// <see cref="ValueLog"/>). One process at a time: a <c>lock</c> file is held open exclusively while the
/// node runs (an advisory lock the kernel drops when the process dies, even by <c>kill -9</c>).
/// </summary>
/// <remarks>
/// The id and the contacts are small files replaced atomically (<see cref="DurableFiles"/>), so a crash
/// leaves the old version or the new one. The id is written once, before the node sends anything. The
/// contacts are a hint, saved by maintenance and at stop: on start they are pinged like seeds, and only
/// those that answer (with whatever id they have now) enter the routing table.
/// </remarks>
internal sealed class NodeDataDirectory : IDisposable
{
    public const string NodeIdFileName = "node-id";
    public const string ContactsFileName = "contacts";
    public const string LockFileName = "lock";

    /// <summary>At most this many contacts are remembered (the nearest buckets' worth and more).</summary>
    public const int MaxRememberedContacts = 1000;

    private readonly FileStream _lock;
    private string _savedContacts;

    private NodeDataDirectory(string path, FileStream lockFile, NodeId nodeId, IReadOnlyList<Contact> contacts, string savedContacts, ValueLog values, ValueLogRecovery recovery)
    {
        Path = path;
        _lock = lockFile;
        NodeId = nodeId;
        RememberedContacts = contacts;
        _savedContacts = savedContacts;
        Values = values;
        Recovery = recovery;
    }

    public string Path { get; }

    public NodeId NodeId { get; }

    /// <summary>The contacts saved by the previous run; to be pinged, not trusted.</summary>
    public IReadOnlyList<Contact> RememberedContacts { get; }

    public ValueLog Values { get; }

    /// <summary>What opening the value log found.</summary>
    public ValueLogRecovery Recovery { get; }

    /// <summary>The id saved in <paramref name="directory"/>, or null when there is none yet (or no directory).</summary>
    /// <exception cref="InvalidDataException">The id file exists but does not hold an id.</exception>
    public static NodeId? ReadNodeId(string directory)
    {
        var file = System.IO.Path.Combine(directory, NodeIdFileName);
        if (!File.Exists(file))
        {
            return null;
        }

        var text = File.ReadAllText(file).Trim();
        return NodeId.TryParse(text, out var id)
            ? id
            : throw new InvalidDataException($"{file} does not hold a node id (40 hexadecimal digits): '{text}'.");
    }

    /// <summary>
    /// Opens <paramref name="directory"/>, creating it when needed: locks it, reads or writes the node id,
    /// reads the remembered contacts and recovers the value log.
    /// </summary>
    /// <param name="directory">The data directory.</param>
    /// <param name="configuredId">An id the configuration insists on; it must match a saved one. Used (or a random one) when none is saved.</param>
    /// <param name="logger">For what recovery found.</param>
    /// <exception cref="IOException">Another process holds the directory, or it cannot be written.</exception>
    /// <exception cref="InvalidDataException">A file in it is not what Liaa wrote.</exception>
    /// <exception cref="ArgumentException">The configured id differs from the saved one.</exception>
    public static NodeDataDirectory Open(string directory, NodeId? configuredId, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(logger);
        var path = System.IO.Path.GetFullPath(directory);
        Directory.CreateDirectory(path);
        var lockFile = AcquireLock(path);
        try
        {
            var saved = ReadNodeId(path);
            if (saved is { } id && configuredId is { } wanted && wanted != id)
            {
                throw new ArgumentException(
                    $"The data directory {path} belongs to node {id}, but the configuration asks for node id {wanted} "
                    + "(Liaa:Node:NodeId, --node-id). Remove the setting, or use another data directory.");
            }

            var nodeId = saved ?? configuredId ?? NodeId.NewRandom();
            if (saved is null)
            {
                DurableFiles.ReplaceText(System.IO.Path.Combine(path, NodeIdFileName), nodeId + "\n");
            }

            var (contacts, contactsText) = ReadContacts(System.IO.Path.Combine(path, ContactsFileName));
            var values = ValueLog.Open(System.IO.Path.Combine(path, ValueLog.FileName), out var recovery, logger: logger);
            if (recovery.TruncatedBytes > 0)
            {
                Log.ValueLogTruncated(logger, recovery.TruncatedBytes, System.IO.Path.Combine(path, ValueLog.FileName));
            }

            if (recovery.CorruptCopy is { } copy)
            {
                Log.ValueLogCorrupt(logger, recovery.CorruptBytes, System.IO.Path.Combine(path, ValueLog.FileName), copy);
            }

            Log.ValueLogRecovered(logger, recovery.Values.Count, recovery.Records, System.IO.Path.Combine(path, ValueLog.FileName));
            return new NodeDataDirectory(path, lockFile, nodeId, contacts, contactsText, values, recovery);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Replaces the remembered contacts (atomically; nothing is written when they did not change).</summary>
    public void SaveContacts(IEnumerable<Contact> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var text = new StringBuilder("# Liaa contacts: id endpoint. Pinged on start, not trusted until they answer.\n");
        foreach (var contact in contacts.Take(MaxRememberedContacts))
        {
            text.Append(contact.Id).Append(' ').Append(contact.EndPoint).Append('\n');
        }

        var content = text.ToString();
        if (content == _savedContacts)
        {
            return;
        }

        DurableFiles.ReplaceText(System.IO.Path.Combine(Path, ContactsFileName), content);
        _savedContacts = content;
    }

    /// <summary>
    /// <see cref="SaveContacts"/>, for maintenance and the node's stop: a failure (a full or read-only disk) is logged
    /// to <paramref name="logger"/>, not thrown, as the contacts are only a hint for the next start.
    /// </summary>
    public void TrySaveContacts(IEnumerable<Contact> contacts, ILogger logger)
    {
        try
        {
            SaveContacts(contacts);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.ContactsNotSaved(logger, Path, ex);
        }
    }

    public void Dispose()
    {
        Values.Dispose();
        _lock.Dispose();
    }

    private static FileStream AcquireLock(string path)
    {
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix: a second node on the same directory fails here.
            return new FileStream(System.IO.Path.Combine(path, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"The data directory {path} cannot be written: permission denied ({ex.Message}). Give the node's user write access to it, or use another directory.", ex);
        }
        catch (IOException ex) when (IsReadOnlyFileSystem(ex))
        {
            throw new IOException($"The data directory {path} cannot be written: it is on a read-only file system ({ex.Message}). Use a writable directory.", ex);
        }
        catch (IOException ex) when (IsSharingViolation(ex))
        {
            throw new IOException($"The data directory {path} is in use by another Liaa node ({ex.Message}).", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"The data directory {path} cannot be opened for writing: {ex.Message}", ex);
        }
    }

    // .NET on Unix carries the errno as the HResult: a held flock is EWOULDBLOCK (11 on Linux, 35 on macOS), a
    // read-only file system EROFS (30); on Windows a held file is ERROR_SHARING_VIOLATION (32). Nothing else tells
    // "another node holds it" from "nobody can write here".
    private static bool IsSharingViolation(IOException exception) =>
        OperatingSystem.IsWindows() ? (exception.HResult & 0xFFFF) == 32 : exception.HResult is 11 or 35;

    private static bool IsReadOnlyFileSystem(IOException exception) => !OperatingSystem.IsWindows() && exception.HResult == 30;

    private static (IReadOnlyList<Contact> Contacts, string Text) ReadContacts(string file)
    {
        if (!File.Exists(file))
        {
            return ([], string.Empty);
        }

        var text = File.ReadAllText(file);
        var contacts = new List<Contact>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

            // A line that does not parse is skipped: the contacts are only a hint for the join.
            if (fields.Length == 2 && !line.StartsWith('#') && NodeId.TryParse(fields[0], out var id)
                && IPEndPoint.TryParse(fields[1], out var endPoint) && PeerEndPoint.IsUsable(endPoint)
                && contacts.Count < MaxRememberedContacts)
            {
                contacts.Add(new Contact(id, endPoint));
            }
        }

        return (contacts, text);
    }
}
