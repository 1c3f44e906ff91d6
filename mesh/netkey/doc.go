// Package netkey closes a mesh to everybody who does not hold its network
// key: a secret shared by the nodes of one mesh (p2pnode
// --network-key-file). It implements no protocol rule of the engine
// (package mesh stays free of cryptography and I/O); the socket runtime
// (mesh/meshnode) wraps every connection and every beacon with it.
//
// From the key file (key.go) two keys are derived with HKDF-SHA256, each
// under its own label, so that neither can be learnt from the other:
//
//   - Links (handshake.go, conn.go) run the Noise protocol framework
//     (github.com/flynn/noise) with the pattern NNpsk0 —
//     Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s — keyed by the first. Both ends
//     prove that they hold the key before the engine hears of the
//     connection: the initiator's first message carries a tag under the
//     pre-shared key (a stranger is refused at once, before any
//     Diffie-Hellman work), the responder's answer mixes in a fresh
//     ephemeral exchange, and the initiator's first transport message, a
//     confirmation, proves it holds its own ephemeral key, so that replayed
//     handshake bytes never complete. Everything after travels in Noise
//     transport messages: encrypted, authenticated, numbered, so that bytes
//     injected, changed, dropped, reordered or replayed end the connection.
//   - Beacons (beacon.go) are sealed with XChaCha20-Poly1305 under the
//     second key, with a random nonce, the sender's clock and a counter
//     that only grows: a receiver refuses beacons that do not open, that
//     are older or newer than MaxClockSkew by its own clock, or whose
//     counter is not above the last one it accepted from that node.
//
// What this protects and what it does not is the README's "Threat model
// and network key".
package netkey
