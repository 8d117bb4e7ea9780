import Foundation
import PuenteFormats
import PuenteTestSupport
import Testing

/// Messages read back by a real MIME parser: Python's `email` package with the default policy.
@Suite struct MailMessageTests {
    static let parse = """
        import email, email.policy, json, sys
        raw = open(sys.argv[1], "rb").read()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
        print(json.dumps({"from": str(message["from"]), "to": str(message["to"]), "subject": str(message["subject"]),
                          "date": str(message["date"]), "id": str(message["message-id"]),
                          "type": message.get_content_type(), "text": parts.get("text/plain"), "html": parts.get("text/html"),
                          "defects": [str(d) for d in message.defects] + [str(d) for p in message.iter_parts() for d in p.defects],
                          "crlf_only": b"\\n" not in raw.replace(b"\\r\\n", b""),
                          "longest": max(len(line) for line in raw.split(b"\\r\\n"))}))
        """

    func parsed(_ message: MailMessage) throws -> [String: Any] {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write("message.eml", bytes: message.rendered())
        let script = try folder.write("parse.py", Self.parse)
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3", script.path, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
    }

    @Test func accentsEnesAndALongSubjectDecodeAsWritten() throws {
        let subject = "Confirmación de su pedido 9900-00000001 — Almacén Ñandú de la Peña, entrega en Güemes y Córdoba"
        let text = "Hola Almacén Ñandú:\n\nRecibimos su pedido 9900-00000001 por un total de $ 40.549,52.\n"
            + String(repeating: "Línea larga con acentos áéíóú ñ = igual ", count: 4) + "\nFin "
        let message = MailMessage(
            from: .init(name: "Distribuidora Peñalolén", email: "pedidos@example.com.ar"),
            to: [.init(name: "Almacén \"Don\" Tito", email: "tito@example.com"), .init(email: "v01@example.com")],
            subject: subject, date: MailMessage.date(ISO8601DateFormatter().date(from: "2026-11-28T10:25:00-03:00")!,
                                                     in: TimeZone(secondsFromGMT: -3 * 3600)!),
            messageID: "9f1c2d3e4f@puente", text: text, html: "<p>Hola <b>Almacén Ñandú</b></p>")
        let got = try parsed(message)
        #expect(got["subject"] as? String == subject)
        #expect(got["from"] as? String == "Distribuidora Peñalolén <pedidos@example.com.ar>")
        #expect((got["to"] as? String)?.contains("tito@example.com") == true)
        #expect((got["to"] as? String)?.contains(#""Almacén \"Don\" Tito" <tito@example.com>"#) == true, "\(got["to"] ?? "")")
        #expect(got["date"] as? String == "Sat, 28 Nov 2026 10:25:00 -0300")
        #expect(got["id"] as? String == "<9f1c2d3e4f@puente>")
        #expect(got["type"] as? String == "multipart/alternative")
        #expect((got["text"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n") == text)
        #expect(got["html"] as? String == "<p>Hola <b>Almacén Ñandú</b></p>")
        #expect((got["defects"] as? [String])?.isEmpty == true, "\(got["defects"] ?? "")")
        #expect(got["crlf_only"] as? Bool == true)
        #expect((got["longest"] as? Int ?? 999) <= 78)
    }

    @Test func encodedWordsHoldWholeCharacters() {
        for word in MailMessage.encodedWordsForTesting(String(repeating: "ñ🧉é", count: 30)) {
            #expect(word.count <= 75)
            let base64 = String(word.dropFirst("=?UTF-8?B?".count).dropLast(2))
            #expect(String(data: Data(base64Encoded: base64)!, encoding: .utf8) != nil, "a word cut inside a character")
        }
    }
}
