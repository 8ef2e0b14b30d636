using System.Text.Json.Serialization;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// Source-generated JSON metadata for the hot request and response bodies (the feed, event batches), first in the
/// HTTP JSON options' resolver chain; everything else still goes through reflection. The options (camelCase, enums as
/// camelCase strings, nulls left out) are the HTTP options' own, so the wire format does not change.
/// </summary>
[JsonSerializable(typeof(Feed))]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(List<IncomingEvent?>))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
