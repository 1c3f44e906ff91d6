package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"

	"p2pmesh/mesh/meshnode"
)

// printer writes deliveries to standard output, one line each: "name: text",
// or with --json one object per line.
type printer struct {
	w      *bufio.Writer
	json   bool
	log    *slog.Logger
	failed bool // a write failed: logged once
}

func newPrinter(w io.Writer, jsonOut bool, log *slog.Logger) *printer {
	return &printer{w: bufio.NewWriter(w), json: jsonOut, log: log}
}

// jsonDelivery is the --json form of a delivery.
type jsonDelivery struct {
	From   string `json:"from"`   // the sender's name (its node id when it sent no chat line)
	Origin string `json:"origin"` // the sender's node id
	ID     string `json:"id"`     // message id: origin:sequence
	Hops   int    `json:"hops"`   // links the message traversed
	Via    string `json:"via"`    // the neighbour it arrived from
	Text   string `json:"text"`   // the line, exactly as sent
	Chat   bool   `json:"chat"`   // false when the payload was not a p2pnode line
}

func (p *printer) print(d meshnode.Delivery) {
	name, text, ok := decodeChatLine(d.Payload)
	if !ok {
		name, text = d.From.String(), string(d.Payload)
	}
	if p.json {
		b, _ := json.Marshal(jsonDelivery{From: name, Origin: d.From.String(), ID: d.ID.String(),
			Hops: d.Hops, Via: d.Via.String(), Text: text, Chat: ok}) // cannot fail: strings and ints
		b = append(b, '\n')
		_, _ = p.w.Write(b)
	} else {
		_, _ = p.w.WriteString(printable(name) + ": " + printable(text) + "\n")
	}
	if err := p.w.Flush(); err != nil && !p.failed {
		p.failed = true
		p.log.Error("cannot write deliveries to standard output; the node keeps serving the mesh", "err", err)
	}
}
