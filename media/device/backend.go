package device

import "github.com/gen2brain/malgo"

// nullBackend is miniaudio's null backend: devices that tick in real time without a sound card,
// used by tests and by WithNullBackend.
//
// malgo v0.11.24's own BackendNull constant is off by one: its value names miniaudio's custom
// backend, and InitContext with it fails with "No backend". miniaudio's ma_backend_null is 14.
// Re-check this value (against ma_backend in miniaudio.h) whenever malgo is upgraded.
const nullBackend = malgo.Backend(14)
