package evidence

import (
	"strconv"
	"strings"
	"time"
)

// document is a certificate being laid out.
type document struct {
	c        Certificate
	appended bool // pages for the end of the signed document, not a file of their own
	files    []attachment
	l        *layout
}

// Text styles.
var (
	labelSt   = style{regular, 8, muted}
	valueSt   = style{regular, 9, ink}
	smallSt   = style{regular, 8, ink}
	monoSt    = style{mono, 8.5, ink}
	noteSt    = style{italic, 8.5, muted}
	headingSt = style{bold, 12.5, navy}
	nameSt    = style{bold, 10.5, ink}
)

// Grid geometry shared by the sections.
const (
	labelWidth = 132
	lead       = 12.5
)

// utc formats t as ISO 8601 in UTC, e.g. 2026-11-21 10:00:00 UTC.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// title returns the certificate's title.
func (d *document) title() string {
	switch {
	case strings.TrimSpace(d.c.Title) != "":
		return d.c.Title
	case d.appended:
		return "Audit trail"
	case d.c.Session.Status == "COMPLETED":
		return "Certificate of completion"
	}
	return "Audit certificate"
}

func (d *document) compose() {
	d.head()
	d.summary()
	d.documents()
	d.signers()
	d.evidence()
	d.events()
	d.notes()
	d.frame()
}

// head draws the first page's title block.
func (d *document) head() {
	l := d.l
	l.text(marginX, l.y-9, style{bold, 9, navy}, "SIGNET")
	if t := utc(d.c.GeneratedAt); t != "" {
		l.textRight(marginX+contentWidth, l.y-9, style{regular, 8, muted}, "Generated "+t)
	}
	l.y -= 22
	l.para(marginX, contentWidth, style{bold, 21, navy}, 26, l.enc(d.title()))
	var sub []string
	if n := strings.TrimSpace(d.c.Document.Name); n != "" {
		sub = append(sub, l.enc(n))
	}
	if p := d.c.Document.Pages; p > 0 {
		sub = append(sub, plural(p, "page"))
	}
	if len(sub) > 0 {
		l.para(marginX, contentWidth, style{regular, 10.5, muted}, 15, strings.Join(sub, "  \x95  "))
	}
	l.y -= 8
	l.rule(marginX, marginX+contentWidth, l.y, 1.4, navy)
	l.y -= 14
}

// statusColor is the colour a session's or signer's status is shown in.
func statusColor(s string) rgb {
	switch s {
	case "COMPLETED", "SIGNED":
		return green
	case "FAILED":
		return red
	case "EXPIRED", "CANCELLED":
		return amber
	}
	return navy
}

// outcome says in a sentence how the session ended.
func (d *document) outcome() string {
	n, signed := len(d.c.Signers), 0
	for _, s := range d.c.Signers {
		if s.Status == "SIGNED" {
			signed++
		}
	}
	of := strconv.Itoa(signed) + " of " + plural(n, "signer") + " signed"
	switch d.c.Session.Status {
	case "COMPLETED":
		if n == 1 {
			return "The signer signed."
		}
		return "All " + plural(n, "signer") + " signed."
	case "FAILED":
		return "The signing failed; " + of + "."
	case "EXPIRED":
		return "The session expired; " + of + "."
	case "CANCELLED":
		return "The session was cancelled; " + of + "."
	}
	return "The session is open; " + of + " so far."
}

// summary draws the status line and the boxed facts of the session.
func (d *document) summary() {
	l, s := d.l, d.c.Session
	status := l.enc(strings.ToUpper(strings.TrimSpace(s.Status)))
	if status == "" {
		status = "UNKNOWN"
	}
	badge := style{bold, 8.5, white}
	status = l.fit(status, badge, 150)
	w := l.measure(status, badge) + 14
	l.need(60)
	l.rect(marginX, l.y-17, w, 17, statusColor(s.Status))
	l.text(marginX+7, baseline(l.y, 17, badge.size), badge, status)
	l.y -= 3
	l.para(marginX+w+10, contentWidth-w-10, style{bold, 10.5, ink}, 14, d.outcome())
	if r := strings.TrimSpace(s.FailureReason); r != "" {
		l.para(marginX+w+10, contentWidth-w-10, valueSt, lead, l.enc(r))
	}
	l.y -= 12

	provider := l.enc(s.ProviderName)
	if id := l.enc(s.Provider); id != "" && id != provider {
		if provider == "" {
			provider = id
		} else {
			provider += " (" + id + ")"
		}
	}
	order := l.enc(s.SigningOrder)
	if n := len(d.c.Signers); n > 0 {
		if order != "" {
			order += ", "
		}
		order += plural(n, "signer")
	}
	ended := "Ended"
	if s.Status == "COMPLETED" {
		ended = "Completed"
	}
	g := &grid{x: marginX + 6, padX: 4, padY: 2.5, lead: lead, columns: []column{
		{60, labelSt}, {200, valueSt}, {60, labelSt}, {contentWidth - 12 - 320, valueSt},
	}}
	statusSt := style{bold, 9, statusColor(s.Status)}
	rows := [][]cell{
		{{text: "Session"}, {text: l.enc(s.ID)}, {text: "Status"}, {text: status, style: &statusSt}},
		{{text: "Order"}, {text: l.enc(s.OrderID)}, {text: "Provider"}, {text: provider}},
		{{text: "Created"}, {text: utc(s.CreatedAt)}, {text: "Signers"}, {text: order}},
		{{text: ended}, {text: utc(s.EndedAt)}, {text: "Expires"}, {text: utc(s.ExpiresAt)}},
	}
	const pad = 7
	if h := g.height(l, rows) + 2*pad; h <= l.room() {
		l.rect(marginX, l.y-h, contentWidth, h, tint)
		l.frame(marginX, l.y-h, contentWidth, h, 0.6, hairline)
		l.y -= pad
		g.draw(l, rows)
		l.y -= pad
	} else {
		g.draw(l, rows) // too long for a box on one page
	}
}

// section starts a section: a heading with a rule, repeated in small on
// pages the section continues on.
func (d *document) section(title string) {
	l := d.l
	l.continued = nil
	l.y -= 20
	l.need(80)
	l.anchors = append(l.anchors, anchor{title, len(l.pages) - 1, l.y})
	l.text(marginX, l.y-12.5, headingSt, title)
	l.y -= 19
	l.rule(marginX, marginX+contentWidth, l.y, 0.6, hairline)
	l.y -= 6
	cont := style{bold, 8.5, muted}
	l.continued = func() {
		l.text(marginX, l.y-9, cont, title+" (continued)")
		l.y -= 18
	}
}

// facts returns a grid of label/value rows starting at x, leaving out
// rows without a value.
func facts(x float64, rows [][]cell) (*grid, [][]cell) {
	var keep [][]cell
	for _, r := range rows {
		if strings.TrimSpace(r[1].text) != "" {
			keep = append(keep, r)
		}
	}
	g := &grid{x: x, padX: 4, padY: 2, lead: lead, columns: []column{
		{labelWidth - (x - marginX), labelSt}, {contentWidth - labelWidth, valueSt},
	}}
	return g, keep
}

// block draws a titled group of facts (a signer, an evidence item), on
// one page when it fits on one. With sep, a rule separates it from the
// block before it on the same page.
func (d *document) block(title func(), titleHeight float64, rows [][]cell, sep bool) {
	l := d.l
	g, rows := facts(marginX+16, rows)
	h := titleHeight + g.height(l, rows)
	if sep {
		h += 14
	}
	page := l.at
	if h < pageHeight-marginTop-marginBottom-60 {
		l.need(h)
	} else {
		l.need(titleHeight + 3*lead)
	}
	if sep && l.at == page {
		l.y -= 6
		l.rule(marginX, marginX+contentWidth, l.y, 0.4, hairline)
		l.y -= 8
	}
	title()
	g.draw(l, rows)
}

func (d *document) signers() {
	l := d.l
	d.section("Signers")
	if len(d.c.Signers) == 0 {
		l.para(marginX, contentWidth, noteSt, lead, "No signers are recorded.")
	}
	for i, s := range d.c.Signers {
		status := l.enc(strings.ToUpper(s.Status))
		stSt := style{bold, 8, statusColor(s.Status)}
		status = l.fit(status, stSt, 120)
		name := l.enc(s.Name)
		if strings.TrimSpace(name) == "" {
			name = "(no name)"
		}
		name = strconv.Itoa(i+1) + ".  " + name
		nameW := contentWidth - 130
		title := func() {
			// The status at the right of the name's first line.
			l.textRight(marginX+contentWidth, baseline(l.y, 15, nameSt.size), stSt, status)
			l.para(marginX, nameW, nameSt, 15, name)
			l.y -= 2
		}
		rows := [][]cell{
			{{text: "E-mail"}, {text: l.enc(s.Email)}},
			{{text: "Signed at"}, {text: utc(s.SignedAt)}},
			{{text: "Identified by"}, {text: l.enc(s.Identification)}},
		}
		for _, det := range s.IdentityDetails {
			label := l.enc(det.Label)
			if strings.TrimSpace(label) == "" {
				label = "Detail"
			}
			rows = append(rows, []cell{{text: label}, {text: l.enc(det.Value)}})
		}
		rows = append(rows,
			[]cell{{text: "IP address"}, {text: l.enc(s.IP)}},
			[]cell{{text: "User agent"}, {text: l.enc(s.UserAgent), style: &smallSt}},
			[]cell{{text: "Failure reason"}, {text: l.enc(s.FailureReason)}},
		)
		d.block(title, float64(len(l.wrap(name, nameSt, nameW)))*15+2, rows, i > 0)
	}
}

func (d *document) documents() {
	l, doc := d.l, d.c.Document
	d.section("Documents")
	pages := ""
	if doc.Pages > 0 {
		pages = strconv.Itoa(doc.Pages)
	}
	rows := [][]cell{
		{{text: "Original document"}, {text: l.enc(doc.Name)}},
		{{text: "Pages"}, {text: pages}},
		{{text: "SHA-256 of the original"}, d.digest(doc.SHA256, "Not recorded.")},
	}
	switch {
	case d.appended:
		rows = append(rows, []cell{{text: "Signed document"}, {text: "These pages are part of the signed document, " +
			"so its SHA-256 cannot appear on them; Signet's seal covers the document with these pages.", style: &noteSt}})
	case d.c.Session.Status == "COMPLETED":
		rows = append(rows, []cell{{text: "SHA-256 of the signed document"}, d.digest(doc.SignedSHA256, "Not recorded.")})
	default:
		rows = append(rows, []cell{{text: "Signed document"}, {text: "None: the session did not complete.", style: &noteSt}})
	}
	g, rows := facts(marginX, rows)
	g.draw(d.l, rows)
}

// digest returns a cell showing a SHA-256 value in monospace, or a note.
func (d *document) digest(sum, missing string) cell {
	if s := d.l.enc(strings.TrimSpace(sum)); s != "" {
		return cell{text: s, style: &monoSt}
	}
	return cell{text: missing, style: &noteSt}
}

func (d *document) evidence() {
	l := d.l
	d.section("Provider evidence")
	if len(d.c.Evidence) == 0 {
		l.para(marginX, contentWidth, noteSt, lead, "The provider delivered no evidence besides the events below.")
		return
	}
	l.para(marginX, contentWidth, style{regular, 8.5, muted}, 12,
		"What the provider delivered besides the signed document. Attached files open from the "+
			"attachments panel of a PDF reader; their SHA-256 is given here.")
	l.y -= 4
	for i, it := range d.c.Evidence {
		l.y -= 4
		name := l.enc(it.Name)
		if strings.TrimSpace(name) == "" {
			name = "Evidence " + strconv.Itoa(i+1)
		}
		nameSt := style{bold, 9.5, ink}
		file := ""
		if it.Attached != nil {
			file = l.enc(it.FileName) + "  \x95  " + bytesText(len(it.Attached)) + "  \x95  " + l.enc(it.ContentType) +
				"  \x95  attached to this PDF"
		}
		d.block(func() { l.para(marginX, contentWidth, nameSt, 14, name) },
			float64(len(l.wrap(name, nameSt, contentWidth)))*14,
			[][]cell{
				{{text: "Description"}, {text: l.enc(it.Description)}},
				{{text: "File"}, {text: file}},
				{{text: "SHA-256"}, d.digest(it.SHA256, "")},
				{{text: "Note"}, {text: l.enc(it.Note)}},
			}, false)
	}
}

// bytesText writes a size in bytes with thousands separators.
func bytesText(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if n == 1 {
		return s + " byte"
	}
	return s + " bytes"
}

func (d *document) events() {
	l := d.l
	d.section("Events")
	if len(d.c.Events) == 0 {
		l.para(marginX, contentWidth, noteSt, lead, "No events are recorded.")
		return
	}
	small := style{regular, 8, ink}
	g := &grid{
		x: marginX, padX: 4, padY: 2.5, lead: 10.5, stripe: true,
		header: []string{"TIME (UTC)", "EVENT", "SIGNER", "DETAILS"},
		headSt: style{bold, 7, muted},
		columns: []column{
			{88, small}, {112, style{mono, 7.5, navy}}, {100, small}, {contentWidth - 300, small},
		},
	}
	rows := make([][]cell, len(d.c.Events))
	for i, e := range d.c.Events {
		t := ""
		if !e.Time.IsZero() {
			t = e.Time.UTC().Format("2006-01-02 15:04:05")
		}
		rows[i] = []cell{{text: t}, {text: l.enc(e.Type)}, {text: l.enc(e.Signer)}, {text: l.enc(e.Detail)}}
	}
	g.draw(l, rows)
}

// notes closes the certificate: who issued it and how to check it.
func (d *document) notes() {
	l := d.l
	d.section("About this certificate")
	st := style{regular, 8.5, muted}
	issued := "Issued"
	if is := l.enc(d.c.Issuer); strings.TrimSpace(is) != "" {
		issued += " by " + is
	}
	if t := utc(d.c.GeneratedAt); t != "" {
		issued += " on " + t
	}
	files := "The attachment " + DataFile + " holds every value shown here in machine-readable form, " +
		"each text in its original characters."
	if len(d.files) > 1 {
		files = "The attachments hold the provider's evidence listed above and, in " + DataFile +
			", every value shown here in machine-readable form, each text in its original characters."
	}
	paras := []string{
		issued + ". All times are in UTC.",
		"A SHA-256 value identifies a document: any change to the file changes it. Compute it with, for example, " +
			"\"sha256sum file.pdf\" (Linux), \"shasum -a 256 file.pdf\" (macOS) or " +
			"\"certutil -hashfile file.pdf SHA256\" (Windows) and compare it with the value above.",
		"Where this document carries Signet's electronic seal, the signature panel of a PDF reader shows " +
			"whether anything changed after it was sealed.",
		files,
	}
	if l.approx {
		paras = append(paras, "\x86 This text has characters the certificate's fonts cannot show. It is shown "+
			"transliterated into Latin letters, or with ? in their place; "+DataFile+" holds it exactly.")
	}
	for _, p := range paras {
		l.para(marginX, contentWidth, st, 12, p)
		l.y -= 4
	}
}

// frame draws the running header and the footer of every page.
func (d *document) frame() {
	l := d.l
	id := l.enc(d.c.Session.ID)
	left := "Signet audit certificate"
	if d.appended {
		left = "Signet audit trail"
	}
	if id != "" {
		left += "  \x95  session " + id
	}
	foot := style{regular, 7.5, muted}
	title := l.enc(d.title())
	total := len(l.pages)
	for i := range l.pages {
		l.at = i
		n := "Page " + strconv.Itoa(i+1) + " of " + strconv.Itoa(total)
		if d.appended {
			n = "Audit trail page " + strconv.Itoa(i+1) + " of " + strconv.Itoa(total)
		}
		right := marginX + contentWidth
		l.rule(marginX, right, footerRule, 0.5, hairline)
		l.textRight(right, footerLine, foot, n)
		l.text(marginX, footerLine, foot, l.fit(left, foot, contentWidth-l.measure(n, foot)-24))
		if i > 0 {
			top := pageHeight - marginTop + 16
			l.text(marginX, top, foot, l.fit(title, foot, contentWidth-200))
			if id != "" {
				l.textRight(right, top, foot, l.fit("Session "+id, foot, 190))
			}
			l.rule(marginX, right, top-6, 0.5, hairline)
		}
	}
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
