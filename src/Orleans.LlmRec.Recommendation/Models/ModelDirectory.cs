using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Models;

/// <summary>
/// A trained model on disk: <c>manifest.json</c>, <c>items.txt</c> and <c>users.txt</c> (external ids, one per line,
/// in dense-index order) and <c>weights.bin</c> (named float32 tensors). Written to a temporary folder and renamed,
/// so a reader never sees half a model.
/// </summary>
public static class ModelDirectory
{
    public const string ManifestFile = "manifest.json";
    public const string ItemsFile = "items.txt";
    public const string UsersFile = "users.txt";
    public const string WeightsFile = "weights.bin";

    private static ReadOnlySpan<byte> WeightsMagic => "LLMRECW1"u8;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>A fresh version string: sortable UTC time plus random suffix.</summary>
    public static string NewVersion(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public static ModelManifest CreateManifest(EmbeddingModel model, IdMap users, IdMap items, string dataset, int seed, double trainingSeconds, IReadOnlyDictionary<string, double>? metrics = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new ModelManifest
        {
            Kind = model.Kind.ToName(),
            Version = NewVersion(now),
            CreatedAt = now,
            UserCount = model.UserCount,
            ItemCount = model.ItemCount,
            Dimension = model.Dimension,
            Dataset = dataset,
            Seed = seed,
            TrainingSeconds = trainingSeconds,
            ItemIdChecksum = items.Checksum(),
            UserIdChecksum = users.Checksum(),
            Parameters = new Dictionary<string, double>(model.Parameters),
            Metrics = metrics is null ? [] : new Dictionary<string, double>(metrics),
        };
    }

    public static void Save(string directory, EmbeddingModel model, IdMap users, IdMap items, ModelManifest manifest, TextItemMap? textMap = null)
    {
        if (users.Count != model.UserCount || items.Count != model.ItemCount)
        {
            throw new ArgumentException($"Id maps ({users.Count} users, {items.Count} items) do not match the model ({model.UserCount}, {model.ItemCount}).");
        }
        var full = Path.GetFullPath(directory);
        CheckReplaceable(full);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            File.WriteAllText(Path.Combine(staging, ManifestFile), JsonSerializer.Serialize(manifest, JsonOptions));
            File.WriteAllLines(Path.Combine(staging, ItemsFile), items.ExternalIds);
            File.WriteAllLines(Path.Combine(staging, UsersFile), users.ExternalIds);
            WriteWeights(Path.Combine(staging, WeightsFile), model);
            textMap?.Save(Path.Combine(staging, TextItemMap.FileName));
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }
            Directory.Move(staging, full);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Saving replaces the directory whole, so it must hold nothing but a model: never a folder of other files, the
    /// current directory or one it lies in, or a file. Checked before any training output is written.
    /// </summary>
    public static void CheckReplaceable(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(full))
        {
            throw new IOException($"'{directory}' is a file; a model is saved as a directory. Choose another path.");
        }
        if (!Directory.Exists(full)) return;
        var current = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Environment.CurrentDirectory));
        if (current == full || current.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new IOException($"'{directory}' is the current directory or holds it; saving would replace it. Choose a subdirectory.");
        }
        var foreign = Directory.EnumerateFileSystemEntries(full)
            .Select(Path.GetFileName)
            .Where(name => name is not (ManifestFile or ItemsFile or UsersFile or WeightsFile or TextItemMap.FileName) && !name!.EndsWith(".onnx", StringComparison.Ordinal))
            .Take(3)
            .ToList();
        if (foreign.Count > 0)
        {
            throw new IOException($"'{directory}' holds files that are not part of a model ({string.Join(", ", foreign)}); saving would delete them. Choose an empty or new directory, or one written by 'llmrec train'.");
        }
    }

    public static ModelManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: no manifest; is '{directory}' a model directory written by 'llmrec train'?");
        }
        try
        {
            var manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"{path}: empty manifest.");
            if (manifest.FormatVersion != ModelManifest.CurrentFormatVersion)
            {
                throw new InvalidDataException($"{path}: formatVersion {manifest.FormatVersion} is not supported (expected {ModelManifest.CurrentFormatVersion}).");
            }
            return manifest;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed manifest: {e.Message}", e);
        }
    }

    public static (EmbeddingModel Model, IdMap Users, IdMap Items, ModelManifest Manifest) Load(string directory)
    {
        var manifest = ReadManifest(directory);
        if (!ModelKindNames.TryParse(manifest.Kind, out var kind))
        {
            throw new InvalidDataException($"{Path.Combine(directory, ManifestFile)}: unknown model kind '{manifest.Kind}'.");
        }
        var items = new IdMap(File.ReadAllLines(Path.Combine(directory, ItemsFile)));
        var users = new IdMap(File.ReadAllLines(Path.Combine(directory, UsersFile)));
        if (items.Checksum() != manifest.ItemIdChecksum || items.Count != manifest.ItemCount)
        {
            throw new InvalidDataException($"{Path.Combine(directory, ItemsFile)}: item id map does not match the manifest checksum.");
        }
        if (users.Checksum() != manifest.UserIdChecksum || users.Count != manifest.UserCount)
        {
            throw new InvalidDataException($"{Path.Combine(directory, UsersFile)}: user id map does not match the manifest checksum.");
        }
        var model = new EmbeddingModel(kind, manifest.UserCount, manifest.ItemCount, manifest.Dimension);
        foreach (var (key, value) in manifest.Parameters) model.Parameters[key] = value;
        ReadWeights(Path.Combine(directory, WeightsFile), model);
        return (model, users, items, manifest);
    }

    /// <summary>
    /// The text map saved with the model in <paramref name="directory"/>, or null when it has none (data without item
    /// text). A map fitted to another model version or dimension is refused, not silently used.
    /// </summary>
    public static TextItemMap? LoadTextMap(string directory, ModelManifest manifest)
    {
        var path = Path.Combine(directory, TextItemMap.FileName);
        if (!File.Exists(path)) return null;
        var map = TextItemMap.Load(path);
        if (map.ModelVersion != manifest.Version || map.ModelDimension != manifest.Dimension)
        {
            throw new InvalidDataException($"{path}: fitted to model {map.ModelVersion} (dimension {map.ModelDimension}), not to {manifest.Version} (dimension {manifest.Dimension}).");
        }
        return map;
    }

    private static IEnumerable<(string Name, float[] Data)> Tensors(EmbeddingModel model)
    {
        yield return ("user_vectors", model.UserVectors);
        yield return ("item_vectors", model.ItemVectors);
        yield return ("user_bias", model.UserBias);
        yield return ("item_bias", model.ItemBias);
        yield return ("global_bias", [model.GlobalBias]);
        foreach (var (name, data) in model.Extras.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            yield return ("extra:" + name, data);
        }
    }

    // Layout: magic, tensor count, then per tensor: name length, UTF-8 name, float count, little-endian floats.
    private static void WriteWeights(string path, EmbeddingModel model)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(WeightsMagic);
        var tensors = Tensors(model).ToList();
        writer.Write(tensors.Count);
        foreach (var (name, data) in tensors)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            writer.Write(nameBytes.Length);
            writer.Write(nameBytes);
            writer.Write((long)data.Length);
            var bytes = new byte[data.Length * sizeof(float)];
            for (var i = 0; i < data.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
            }
            writer.Write(bytes);
        }
    }

    private static void ReadWeights(string path, EmbeddingModel model)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: weights file is missing.");
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (!reader.ReadBytes(WeightsMagic.Length).AsSpan().SequenceEqual(WeightsMagic))
            {
                throw new InvalidDataException($"{path}: not a weights file (bad magic).");
            }
            var count = reader.ReadInt32();
            for (var t = 0; t < count; t++)
            {
                var name = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
                var length = reader.ReadInt64();
                if (length < 0 || length * 4 > stream.Length - stream.Position)
                {
                    throw new InvalidDataException($"{path}: tensor '{name}' claims {length} floats but the file is shorter (truncated?).");
                }
                var bytes = reader.ReadBytes(checked((int)length * 4));
                var data = new float[length];
                for (var i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                Assign(path, model, name, data);
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated weights file.", e);
        }
    }

    private static void Assign(string path, EmbeddingModel model, string name, float[] data)
    {
        void CopyExact(float[] target)
        {
            if (target.Length != data.Length)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' has {data.Length} floats, the manifest implies {target.Length}.");
            }
            data.CopyTo(target, 0);
        }
        switch (name)
        {
            case "user_vectors": CopyExact(model.UserVectors); break;
            case "item_vectors": CopyExact(model.ItemVectors); break;
            case "user_bias": CopyExact(model.UserBias); break;
            case "item_bias": CopyExact(model.ItemBias); break;
            case "global_bias": model.GlobalBias = data.Length == 1 ? data[0] : throw new InvalidDataException($"{path}: global_bias must hold one float."); break;
            default:
                if (name.StartsWith("extra:", StringComparison.Ordinal)) model.Extras[name["extra:".Length..]] = data;
                else throw new InvalidDataException($"{path}: unknown tensor '{name}'.");
                break;
        }
    }
}
