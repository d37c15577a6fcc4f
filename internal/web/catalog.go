package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages are the languages of the pages, the first being the
// fallback for any other.
var Languages = []string{"en", "sv", "hi"}

var languageTags = []language.Tag{language.English, language.Swedish, language.Hindi}

var languageMatcher = language.NewMatcher(languageTags)

// Lang is the page language for the given preferences, best first: a
// session's language ("sv"), an Accept-Language header ("sv-SE,en;q=0.8")
// or both. It is "en" when none of them is one of Languages.
func Lang(prefs ...string) string {
	var tags []language.Tag
	for _, p := range prefs {
		if p == "" {
			continue
		}
		t, _, err := language.ParseAcceptLanguage(p)
		if err == nil {
			tags = append(tags, t...)
		}
	}
	_, i, conf := languageMatcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}

// catalog is the pages' strings in every language, loaded from
// locales/{lang}.json: nested objects whose keys join with "." into a
// message id ("bankid": {"title": …} is bankid.title). A message is a
// text/template string ("Signed by {{.Name}}"); a plural one is an
// object with "one" and "other". go-i18n reserves some keys (id, hash,
// description, zero, one, two, few, many, other, translation): they
// cannot name a page's own string.
type catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
}

func loadCatalog(fsys fs.FS) (*catalog, error) {
	b := i18n.NewBundle(languageTags[0])
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &catalog{bundle: b, localizers: map[string]*i18n.Localizer{}}
	for _, lang := range Languages {
		if _, err := b.LoadMessageFileFS(fsys, "locales/"+lang+".json"); err != nil {
			return nil, fmt.Errorf("web: locales: %w", err)
		}
		c.localizers[lang] = i18n.NewLocalizer(b, lang)
	}
	return c, nil
}

// text returns message id in lang, filled from args: pairs of a field
// name and its value ("Name", "Anna"); the field "Count" also selects
// the plural form. A message missing in lang falls back to English; one
// missing in English is an error.
func (c *catalog) text(lang, id string, args ...any) (string, error) {
	loc, ok := c.localizers[lang]
	if !ok {
		loc = c.localizers[Languages[0]]
	}
	if len(args)%2 != 0 {
		return "", fmt.Errorf("web: message %s: arguments must be name/value pairs", id)
	}
	lc := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i < len(args); i += 2 {
			name, ok := args[i].(string)
			if !ok {
				return "", fmt.Errorf("web: message %s: argument %d is not a name", id, i)
			}
			data[name] = args[i+1]
		}
		lc.TemplateData = data
		if n, ok := data["Count"]; ok {
			lc.PluralCount = n
		}
	}
	s, err := loc.Localize(lc)
	var missing *i18n.MessageNotFoundErr
	if errors.As(err, &missing) && s != "" {
		return s, nil // the English text
	}
	if err != nil {
		return "", fmt.Errorf("web: message %s in %s: %w", id, lang, err)
	}
	return s, nil
}
