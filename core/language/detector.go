package language

import (
	"strings"
	"sync"

	"github.com/pemistahl/lingua-go"
)

// The thresholds below were tuned on the buyer messages and non-messages
// in this package's tests (see the package comment); each errs towards "":
// an unsure answer sends the seller's default template, a wrong one sends a
// template the buyer cannot read.
const (
	// minLetters and minWords: below them a text is "ok", "Hello", a name
	// or a product code, and a guess would be noise. Letters are counted
	// after order numbers, URLs and addresses are dropped.
	minLetters = 10
	minWords   = 2
	// minConfidence is the least share of the probability the winner must
	// hold among the candidate languages. The shares sum to 1, so it also
	// makes the winner at least three times likelier than the runner-up.
	// Texts this long are either near 1.0 or genuinely mixed; 0.75 refuses
	// "Hello, is this still for sale? I want it." (French 0.73).
	minConfidence = 0.75
	// shortLetters and shortConfidence: a text of fewer letters is a
	// one-line question, and the trigram models are wrong about those at
	// confidences of up to 0.89 ("Where is my order?": German 0.62,
	// "Hello, is it available?": French 0.88, "Czy to oryginał?":
	// Lithuanian 0.89), while the right answers they are sure of score
	// 0.95 or more. Below shortLetters only a near-certain winner counts.
	shortLetters    = 30
	shortConfidence = 0.95
	// maxBytes bounds the work on long e-mails: the opening of a message
	// says its language as well as the whole of it.
	maxBytes = 2000
)

// DefaultLanguages is the set New uses when given none: the languages of
// the marketplaces Switchboard serves and of their neighbours, as ISO 639-1
// codes. The library supports 75 languages; more can be passed to New.
var DefaultLanguages = []string{
	"pl", "en", "de", "cs", "sk", "fr", "es", "it", "nl", "uk", "ru", "hu", "ro", "lt", "lv",
}

// Detector detects the language of buyers' messages. It is safe for
// concurrent use. Its models are loaded on the first Detect that gets a
// text long enough to judge, not by New, so a hub that never needs a
// language never pays for them. The zero value detects DefaultLanguages.
type Detector struct {
	languages  []lingua.Language
	configured bool // New was called; otherwise the defaults apply

	once     sync.Once
	detector lingua.LanguageDetector // nil when fewer than two languages
}

// New returns a detector that chooses among the given languages, written
// as ISO 639-1 codes or BCP 47 tags ("pl", "de-AT", "pt_BR"; a 3-letter
// ISO 639-3 code also works). Only the primary language subtag counts.
// Codes the detector does not support are ignored: check them with
// Supported when the configuration is validated. With no codes it uses
// DefaultLanguages. Fewer than two supported languages leave nothing to
// choose between, and Detect then always returns "".
func New(languages ...string) *Detector {
	if len(languages) == 0 {
		languages = DefaultLanguages
	}
	d := &Detector{configured: true}
	seen := make(map[lingua.Language]bool, len(languages))
	for _, code := range languages {
		l := lookup(code)
		if l == lingua.Unknown || seen[l] {
			continue
		}
		seen[l] = true
		d.languages = append(d.languages, l)
	}
	return d
}

// Supported reports whether code (ISO 639-1, ISO 639-3 or a BCP 47 tag)
// names a language the detector can recognise.
func Supported(code string) bool {
	return lookup(code) != lingua.Unknown
}

// Languages returns the ISO 639-1 codes the detector chooses among.
func (d *Detector) Languages() []string {
	langs := d.languages
	if !d.configured {
		langs = New().languages
	}
	codes := make([]string, len(langs))
	for i, l := range langs {
		codes[i] = isoCode(l)
	}
	return codes
}

// Detect returns the ISO 639-1 code of the language text is written in, or
// "" when the text is too short to tell (fewer than 2 words or 10 letters
// once numbers, URLs and addresses are dropped) or the detector is unsure;
// under 30 letters it must be nearly certain. Quoted lines ("> …") and an
// e-mail signature ("-- ") are ignored, and only the first 2000 bytes are
// read.
func (d *Detector) Detect(text string) string {
	clean, letters, ok := prepare(text)
	if !ok {
		return ""
	}
	d.once.Do(d.build)
	if d.detector == nil {
		return ""
	}
	values := d.detector.ComputeLanguageConfidenceValues(clean)
	if len(values) == 0 {
		return ""
	}
	least := minConfidence
	if letters < shortLetters {
		least = shortConfidence
	}
	if values[0].Value() < least {
		return ""
	}
	return isoCode(values[0].Language())
}

// build makes the underlying detector. Low accuracy mode loads only the
// trigram model of each language, about 1 MB of heap each, instead of five
// models summing to some 35 MB each (see the package comment).
func (d *Detector) build() {
	langs := d.languages
	if !d.configured {
		langs = New().languages
	}
	if len(langs) < 2 {
		return
	}
	// FromLanguages edits its argument in place; give it a copy.
	d.detector = lingua.NewLanguageDetectorBuilder().
		FromLanguages(append([]lingua.Language(nil), langs...)...).
		WithLowAccuracyMode().
		Build()
}

// lookup resolves a code to a lingua language, or lingua.Unknown.
func lookup(code string) lingua.Language {
	primary := strings.TrimSpace(code)
	if i := strings.IndexAny(primary, "-_"); i >= 0 {
		primary = primary[:i]
	}
	switch len(primary) {
	case 2:
		if iso := lingua.GetIsoCode639_1FromValue(primary); iso != lingua.UnknownIsoCode639_1 {
			return lingua.GetLanguageFromIsoCode639_1(iso)
		}
	case 3:
		if iso := lingua.GetIsoCode639_3FromValue(primary); iso != lingua.UnknownIsoCode639_3 {
			return lingua.GetLanguageFromIsoCode639_3(iso)
		}
	}
	return lingua.Unknown
}

func isoCode(l lingua.Language) string {
	return strings.ToLower(l.IsoCode639_1().String())
}
