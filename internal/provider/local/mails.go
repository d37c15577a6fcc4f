package local

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/signet-dev/signet/internal/mail"
	"github.com/signet-dev/signet/internal/signing"
)

// The mails' words in each of local's languages. A code mail holds no
// other run of six digits than the code (CONTRACT.md §6.2): no link, no
// order id, no date.
var mailText = map[string]struct {
	codeSubject, codeBody     string // codeBody: name, code
	inviteSubject, inviteBody string // inviteBody: name, document, link
}{
	"en": {
		codeSubject:   "Your signing code",
		codeBody:      "Hello %s,\n\nyour code for signing is: %s\n\nIt is valid for 10 minutes. Enter it on the signing page. If you did not ask for a code, you can ignore this message.\n",
		inviteSubject: "Please sign: %s",
		inviteBody:    "Hello %s,\n\nyou are asked to sign the document \"%s\".\n\nOpen this link to read and sign it:\n%s\n\nThe link is personal: please do not forward it.\n",
	},
	"sv": {
		codeSubject:   "Din kod för underskrift",
		codeBody:      "Hej %s,\n\ndin kod för att skriva under är: %s\n\nKoden gäller i 10 minuter. Ange den på sidan för underskrift. Om du inte har bett om en kod kan du bortse från meddelandet.\n",
		inviteSubject: "Vänligen skriv under: %s",
		inviteBody:    "Hej %s,\n\ndu ombeds skriva under dokumentet \"%s\".\n\nÖppna länken för att läsa och skriva under:\n%s\n\nLänken är personlig: vidarebefordra den inte.\n",
	},
	"hi": {
		codeSubject:   "आपका हस्ताक्षर कोड",
		codeBody:      "नमस्ते %s,\n\nहस्ताक्षर के लिए आपका कोड है: %s\n\nयह 10 मिनट तक मान्य है। इसे हस्ताक्षर पृष्ठ पर दर्ज करें। यदि आपने कोड नहीं माँगा था, तो इस संदेश को अनदेखा करें।\n",
		inviteSubject: "कृपया हस्ताक्षर करें: %s",
		inviteBody:    "नमस्ते %s,\n\nआपसे दस्तावेज़ \"%s\" पर हस्ताक्षर करने का अनुरोध किया गया है।\n\nइसे पढ़ने और हस्ताक्षर करने के लिए यह लिंक खोलें:\n%s\n\nयह लिंक व्यक्तिगत है: कृपया इसे आगे न भेजें।\n",
	},
}

func texts(lang string) string {
	if _, ok := mailText[lang]; ok {
		return lang
	}
	return "en"
}

// codeMail is the mail that carries a one-time code. A name with digits
// is left out, so that the code stays the only six-digit number.
func codeMail(lang, to, name, code string) mail.Message {
	t := mailText[texts(lang)]
	if strings.ContainsAny(name, "0123456789") {
		name = to[:max(strings.IndexByte(to, '@'), 0)]
		if strings.ContainsAny(name, "0123456789") {
			name = ""
		}
	}
	return mail.Message{To: to, Subject: t.codeSubject, Text: fmt.Sprintf(t.codeBody, name, code)}
}

// Invitations e-mails signers their signer link when their turn comes (at
// once in a parallel session; one after the other in a sequential one).
type Invitations struct {
	Mailer mail.Mailer
	// Link is signer id → their signer link.
	Link func(signerID string) string
}

// Invite e-mails the given signers of sess their links. It is best effort:
// every signer's link is also in the session, for the client to hand out.
func (v *Invitations) Invite(ctx context.Context, sess *signing.Session, signers []int) error {
	t := mailText[texts(sess.Language)]
	var errs []string
	for _, i := range signers {
		sg := sess.Signers[i]
		to := signerEmail(sg)
		if to == "" {
			continue
		}
		m := mail.Message{To: to, Subject: fmt.Sprintf(t.inviteSubject, clip(sess.DocumentName, 80)),
			Text: fmt.Sprintf(t.inviteBody, signing.SignerName(sg.Details), clip(sess.DocumentName, 200), v.Link(sg.ID))}
		if err := v.Mailer.Send(ctx, m); err != nil {
			errs = append(errs, fmt.Sprintf("signer %d: %v", i+1, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("local: invitations: %s", strings.Join(errs, "; "))
	}
	return nil
}

// detail is a string from a signer's details.
func detail(sg signing.Signer, key string) string {
	var d map[string]any
	if json.Unmarshal(sg.Details, &d) != nil {
		return ""
	}
	v, _ := d[key].(string)
	return strings.TrimSpace(v)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
