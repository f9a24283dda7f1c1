// Package vault keeps integration credentials encrypted at rest.
//
// Each value is sealed with AES-256-GCM under a fresh data key, which is itself
// wrapped by the current key-encryption key. The scope and name of the value
// are bound in as associated data, so a ciphertext copied onto another row
// fails to open. Plaintext leaves the package only through [Vault.Open] and
// the methods built on it ([Vault.Get], [Vault.PlatformSecret]).
//
// # Keys
//
// The master key (32 bytes, from SWITCHBOARD_MASTER_KEY or a key file made by
// [LoadOrCreateKeyFile]) never touches the store. It seals the key ring: one
// key-encryption key per version, each bound to its version number. [New]
// creates version 1 on an empty store and refuses, with [ErrWrongMasterKey],
// a master key that does not open the ring. Losing the master key loses every
// secret.
//
// [Vault.Rotate] adds a version and re-wraps every data key under it in one
// store transaction; values themselves are not re-encrypted. Older versions
// stay in the ring, so a value sealed while the rotation ran still opens, and
// a process that meets a version it does not know reloads the ring once.
//
// # Format
//
// A sealed value is, in order:
//
//	format   1 byte, 0x01
//	version  4 bytes, big endian: the key-encryption key that wraps the data key
//	wrap     12-byte nonce, the 32-byte data key sealed, 16-byte tag
//	value    12-byte nonce, the value sealed, 16-byte tag
//
// The wrap's associated data covers the format, the version, the scope and
// the name; the value's covers the format, the scope and the name. The value
// leaves the version out on purpose: rotation rewrites the header and the
// wrap but not the value, which stays tied to its data key.
//
// A value that does not open, whatever the cause, gives [ErrDecrypt] and
// nothing more, and no error or log line of this package carries a byte of a
// secret.
package vault
