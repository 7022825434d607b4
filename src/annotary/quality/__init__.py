"""Label quality: agreement, consensus, gold scoring, label errors, annotator stats.

Pure functions over core types and plain containers; nothing here touches the
database or the network. Metrics return `MetricResult` (a value, or
"undefined" with the reason; never NaN).

Modules:
    result       MetricResult.
    ratings      RatingTable: ``item -> annotator -> label`` as numpy codes.
    pairs        the pairs of annotators that share items, read from the items.
    agreement    percent agreement, Cohen's kappa (weighted), Fleiss' kappa,
                 Krippendorff's alpha, Gwet's AC1, per label and per category.
    boxes        Hungarian IoU matching; precision, recall, F1, mean IoU.
    shapes       the same for polygons and masks, on the image grid (RLE).
    spans        exact and overlap span F1, token kappa.
    transcripts  WER, CER, edit distance.
    consensus    majority vote, Dawid-Skene, box and span consensus.
    gold         accuracy against gold answers.
    label_errors confident learning over out-of-fold probabilities.
    annotators   items per hour, median lead time.
"""
