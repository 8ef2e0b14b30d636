using System.Buffers.Binary;
using System.Text;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.ColdStart;

/// <summary>
/// A linear map from an item's text vector to the model's item space: the item vector and its bias, fitted by ridge
/// regression on the trained items that have text (<see cref="Fit"/>). It gives an item the model was not trained on
/// a place at once, from its text alone. It is only valid for the encoder and text recipe it was fitted on and the
/// model version it was fitted to, which it records; <c>llmrec train</c> writes it into the model directory as
/// <see cref="FileName"/> (<see cref="ModelDirectory.LoadTextMap"/> reads it back).
/// </summary>
public sealed class TextItemMap
{
    public const string FileName = "text-map.bin";
    public const int CurrentFormatVersion = 1;

    // The λ tried when fitting, chosen on a held-out fifth of the items. Text vectors are unit length.
    public static readonly double[] LambdaCandidates = [0.01, 0.1, 1, 3, 10, 30, 100];

    private static ReadOnlySpan<byte> Magic => "LLMRECTM"u8;

    private readonly float[] _weights;

    public TextItemMap(string encoder, string textRecipe, string modelVersion, int textDimension, int modelDimension, double lambda, int fittedItems, float[] weights)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoder);
        ArgumentException.ThrowIfNullOrEmpty(textRecipe);
        ArgumentException.ThrowIfNullOrEmpty(modelVersion);
        ArgumentOutOfRangeException.ThrowIfLessThan(textDimension, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(modelDimension);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length != (textDimension + 1) * (modelDimension + 1))
        {
            throw new ArgumentException($"A map from {textDimension} to {modelDimension} + 1 needs {(textDimension + 1) * (modelDimension + 1)} weights, got {weights.Length}.", nameof(weights));
        }
        Encoder = encoder;
        TextRecipe = textRecipe;
        ModelVersion = modelVersion;
        TextDimension = textDimension;
        ModelDimension = modelDimension;
        Lambda = lambda;
        FittedItems = fittedItems;
        _weights = weights;
    }

    /// <summary>The encoder whose vectors the map reads, e.g. <c>minilm/all-minilm-l6-v2</c>.</summary>
    public string Encoder { get; }

    /// <summary>How item text was composed (<see cref="ItemText.Recipe"/>).</summary>
    public string TextRecipe { get; }

    /// <summary>The model version (manifest) whose item space the map targets.</summary>
    public string ModelVersion { get; }
    public int TextDimension { get; }
    public int ModelDimension { get; }
    public double Lambda { get; }

    /// <summary>How many trained items the map was fitted on.</summary>
    public int FittedItems { get; }

    /// <summary>
    /// The name a map records for the encoder that made its text vectors, from the encoder's provider and model
    /// (e.g. <c>minilm/all-minilm-l6-v2</c>); the CLI that fits and the silo that applies a map both name it so.
    /// </summary>
    public static string EncoderIdentity(string? provider, string? model) =>
        $"{provider ?? "unknown"}/{model ?? "default"}".ToLowerInvariant();

    /// <summary>The item vector (length <see cref="ModelDimension"/>) and bias for a text vector.</summary>
    public (float[] Vector, float Bias) Place(ReadOnlySpan<float> textVector)
    {
        if (textVector.Length != TextDimension)
        {
            throw new ArgumentException($"The map reads {TextDimension}-dimensional text vectors ({Encoder}); got {textVector.Length}.", nameof(textVector));
        }
        var output = new float[ModelDimension + 1];
        RidgeRegression.Predict(_weights, UnitLength(textVector), output);
        return (output[..ModelDimension], output[ModelDimension]);
    }

    /// <summary>
    /// Fits the map on <paramref name="items"/> (dense indexes of <paramref name="model"/>, each with a text vector
    /// in <paramref name="textVectors"/>): inputs the text vectors, targets each item's vector and bias. Fit on items
    /// the model actually learnt (with training interactions): an untrained item's vector is noise.
    /// </summary>
    public static TextItemMap Fit(EmbeddingModel model, string modelVersion, IReadOnlyList<int> items, Func<int, float[]> textVectors, string encoder, string textRecipe = ItemText.Recipe)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count < 2) throw new ArgumentException($"A text map needs at least two trained items with text; got {items.Count}.", nameof(items));
        var inputs = items.Select(i => UnitLength(textVectors(i))).ToArray();
        var targets = items.Select(i =>
        {
            var target = new float[model.Dimension + 1];
            model.ItemVector(i).CopyTo(target);
            target[model.Dimension] = model.ItemBias[i];
            return target;
        }).ToArray();
        var (weights, lambda, _) = RidgeRegression.FitWithValidation(inputs, targets, LambdaCandidates);
        return new TextItemMap(encoder, textRecipe, modelVersion, inputs[0].Length, model.Dimension, lambda, items.Count, weights);
    }

    /// <summary>
    /// Encoders differ in whether they normalise (MiniLM does, some endpoints do not); the map is fitted and applied
    /// on unit vectors so the two sides agree whatever the encoder.
    /// </summary>
    private static float[] UnitLength(ReadOnlySpan<float> vector)
    {
        var unit = vector.ToArray();
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(unit, norm, unit);
        return unit;
    }

    // Layout (little-endian): magic "LLMRECTM", int32 format version, then encoder, recipe and model version as
    // length-prefixed UTF-8, int32 text dimension, int32 model dimension, float64 λ, int32 fitted items, and the
    // (text + 1) × (model + 1) float32 weights, row-major (last row: intercept; last column: bias).
    public void Save(string path)
    {
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(Magic);
            writer.Write(CurrentFormatVersion);
            writer.Write(Encoder);
            writer.Write(TextRecipe);
            writer.Write(ModelVersion);
            writer.Write(TextDimension);
            writer.Write(ModelDimension);
            writer.Write(Lambda);
            writer.Write(FittedItems);
            var bytes = new byte[_weights.Length * sizeof(float)];
            for (var i = 0; i < _weights.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), _weights[i]);
            writer.Write(bytes);
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static TextItemMap Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a text map (bad magic).");
            var version = reader.ReadInt32();
            if (version != CurrentFormatVersion) throw new InvalidDataException($"{path}: text map format {version} is not supported (expected {CurrentFormatVersion}).");
            var encoder = reader.ReadString();
            var recipe = reader.ReadString();
            var modelVersion = reader.ReadString();
            var textDimension = reader.ReadInt32();
            var modelDimension = reader.ReadInt32();
            var lambda = reader.ReadDouble();
            var fitted = reader.ReadInt32();
            if (textDimension is < 1 or > 65_536 || modelDimension is < 0 or > 65_536) throw new InvalidDataException($"{path}: implausible dimensions {textDimension} → {modelDimension}.");
            var count = (textDimension + 1) * (modelDimension + 1);
            var bytes = reader.ReadBytes(count * sizeof(float));
            if (bytes.Length != count * sizeof(float)) throw new InvalidDataException($"{path}: truncated text map.");
            var weights = new float[count];
            for (var i = 0; i < count; i++) weights[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            return new TextItemMap(encoder, recipe, modelVersion, textDimension, modelDimension, lambda, fitted, weights);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated text map.", e);
        }
    }
}
