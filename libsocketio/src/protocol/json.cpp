#include "json.h"
#include "cborelement_p.h"
#include "bytes_p.h"
#include "utf8_p.h"

#include "limits.h"

#include <QCborArray>
#include <QCborMap>
#include <QHash>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace SocketIo::Protocol::Json {

namespace {

// ---------------------------------------------------------------------------------------------
// Reader
//
// The reader does not build QCborArray/QCborMap directly: QCborMap::insert() searches the whole
// map for the key first, which makes an object with n members cost O(n^2) — a DoS vector with a
// 1 MB payload. Instead it translates JSON into CBOR bytes in one pass (strings copied once, no
// per-value allocation) and lets QCborValue::fromCbor() build the tree, which appends without
// searching. JavaScript's duplicate-key rule (last value wins, at the first key's position) is
// applied once, after parsing: an object with duplicates only records which byte ranges it keeps
// and in what order, and compact() copies the output once following those records. Rewriting each
// object when it closes would copy its nested objects again at every level (O(depth x size)).
// ---------------------------------------------------------------------------------------------

constexpr quint8 CborUnsigned = 0;
constexpr quint8 CborNegative = 1;
constexpr quint8 CborBytes = 2;
constexpr quint8 CborText = 3;
constexpr quint8 CborTagMajor = 6;
// Internal only: a string value holding a lone UTF-16 surrogate, which CBOR text (UTF-8) cannot
// carry, is written as this tag over its UTF-16 code units and made a QString again after
// QCborValue::fromCbor() (restoreLoneSurrogates()). JSON never yields tags otherwise.
constexpr quint64 LoneSurrogateStringTag = 0x534f4c53;   // "SOLS"
constexpr quint8 CborArrayIndefinite = 0x9f;
constexpr quint8 CborMapIndefinite = 0xbf;
constexpr quint8 CborBreak = 0xff;
constexpr quint8 CborFalse = 0xf4;
constexpr quint8 CborTrue = 0xf5;
constexpr quint8 CborNull = 0xf6;
constexpr quint8 CborFloat64 = 0xfb;

// Integers up to 2^53 are exact in a JavaScript number; beyond, JSON.parse rounds to a double.
constexpr qint64 MaxSafeInteger = qint64(1) << 53;

// Above this many members an object gets a hash index for duplicate detection; below, a linear
// scan over the few keys is cheaper than hashing.
constexpr qsizetype LinearKeyScanLimit = 32;

inline bool isJsonSpace(uchar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

inline bool isDigit(uchar c)
{
    return c >= '0' && c <= '9';
}

class Reader
{
public:
    explicit Reader(QByteArrayView json)
        : m_begin(reinterpret_cast<const uchar *>(json.data())),
          m_pos(m_begin),
          m_end(m_begin + json.size())
    {
        // Escape-free JSON becomes CBOR of about the same size.
        m_out.reserve(json.size() + 16);
    }

    bool parse(QCborValue *value, QString *error)
    {
        skipSpace();
        if (parseValue(0)) {
            skipSpace();
            if (m_pos != m_end)
                fail("unexpected data after the JSON value");
        }
        if (m_error) {
            if (error)
                *error = QStringLiteral("%1 at offset %2")
                                 .arg(QLatin1StringView(m_error))
                                 .arg(m_errorOffset);
            return false;
        }
        if (!m_rewrites.empty())
            compact();
        QCborParserError cborError;
        QCborValue result = QCborValue::fromCbor(m_out, &cborError);
        if (cborError.error != QCborError::NoError) {
            // Cannot happen with the bytes we write; refuse rather than return a partial value.
            if (error)
                *error = QStringLiteral("internal error: ") + cborError.errorString();
            return false;
        }
        if (m_loneSurrogates)
            result = restoreLoneSurrogates(result, 0);
        if (value)
            *value = std::move(result);
        return true;
    }

private:
    struct Member
    {
        qsizetype keyStart;     // CBOR head of the key
        qsizetype keyData;      // key's UTF-8 bytes
        qsizetype keyLength;
        qsizetype valueStart;
        qsizetype valueEnd;
        qsizetype finalValue;   // member whose value this key ends up with (itself if unique)
        bool duplicate;         // a later occurrence of an earlier key: dropped on output
    };

    // An object with duplicate keys: its members' bytes [start, end) of m_out are replaced, in
    // compact(), by the ranges m_pieces[firstPiece, firstPiece + pieceCount) in that order.
    struct Rewrite
    {
        qsizetype start;
        qsizetype end;
        size_t firstPiece;
        size_t pieceCount;
    };
    struct Range
    {
        qsizetype start;
        qsizetype end;
    };

    bool fail(const char *message)
    {
        if (!m_error) {
            m_error = message;
            m_errorOffset = m_pos - m_begin;
        }
        return false;
    }

    void skipSpace()
    {
        while (m_pos < m_end && isJsonSpace(*m_pos))
            ++m_pos;
    }

    void appendHead(quint8 major, quint64 n)
    {
        char head[9];
        int size;
        const char m = char(major << 5);
        if (n < 24) {
            head[0] = char(m | char(n));
            size = 1;
        } else if (n <= 0xff) {
            head[0] = char(m | 24);
            head[1] = char(n);
            size = 2;
        } else if (n <= 0xffff) {
            head[0] = char(m | 25);
            for (int i = 0; i < 2; ++i)
                head[1 + i] = char(n >> (8 * (1 - i)));
            size = 3;
        } else if (n <= 0xffffffffu) {
            head[0] = char(m | 26);
            for (int i = 0; i < 4; ++i)
                head[1 + i] = char(n >> (8 * (3 - i)));
            size = 5;
        } else {
            head[0] = char(m | 27);
            for (int i = 0; i < 8; ++i)
                head[1 + i] = char(n >> (8 * (7 - i)));
            size = 9;
        }
        m_out.append(head, size);
    }

    void appendDouble(double d)
    {
        quint64 bits;
        std::memcpy(&bits, &d, sizeof bits);
        char buf[9];
        buf[0] = char(CborFloat64);
        for (int i = 0; i < 8; ++i)
            buf[1 + i] = char(bits >> (8 * (7 - i)));
        m_out.append(buf, 9);
    }

    bool parseValue(int depth)
    {
        if (m_pos == m_end)
            return fail("unexpected end of input");
        switch (*m_pos) {
        case '{':
            return parseObject(depth + 1);
        case '[':
            return parseArray(depth + 1);
        case '"':
            return parseString(true) >= 0;
        case 't':
            return parseLiteral("true", CborTrue);
        case 'f':
            return parseLiteral("false", CborFalse);
        case 'n':
            return parseLiteral("null", CborNull);
        default:
            if (*m_pos == '-' || isDigit(*m_pos))
                return parseNumber();
            return fail("unexpected character");
        }
    }

    bool parseLiteral(const char *word, quint8 cbor)
    {
        const size_t length = std::strlen(word);
        if (size_t(m_end - m_pos) < length || std::memcmp(m_pos, word, length) != 0)
            return fail("invalid literal");
        m_pos += length;
        m_out.append(char(cbor));
        return true;
    }

    bool parseArray(int depth)
    {
        if (depth > MaxJsonDepth)
            return fail("nesting too deep");
        ++m_pos; // '['
        m_out.append(char(CborArrayIndefinite));
        skipSpace();
        if (m_pos < m_end && *m_pos == ']') {
            ++m_pos;
            m_out.append(char(CborBreak));
            return true;
        }
        for (;;) {
            skipSpace();
            if (!parseValue(depth))
                return false;
            skipSpace();
            if (m_pos == m_end)
                return fail("unexpected end of input");
            if (*m_pos == ',') {
                ++m_pos;
                continue;
            }
            if (*m_pos == ']') {
                ++m_pos;
                m_out.append(char(CborBreak));
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    bool sameKey(const Member &a, const Member &b) const
    {
        return a.keyLength == b.keyLength
               && std::memcmp(m_out.constData() + a.keyData, m_out.constData() + b.keyData,
                              size_t(a.keyLength)) == 0;
    }

    QByteArray keyBytes(const Member &m) const
    {
        return QByteArray(m_out.constData() + m.keyData, m.keyLength);
    }

    bool parseObject(int depth)
    {
        if (depth > MaxJsonDepth)
            return fail("nesting too deep");
        ++m_pos; // '{'
        m_out.append(char(CborMapIndefinite));
        const size_t base = m_members.size();
        bool hasDuplicates = false;
        // Built only for large objects: key bytes -> index of the first occurrence in m_members.
        std::unique_ptr<QHash<QByteArray, size_t>> index;

        skipSpace();
        if (m_pos < m_end && *m_pos == '}') {
            ++m_pos;
            m_out.append(char(CborBreak));
            return true;
        }
        for (;;) {
            skipSpace();
            if (m_pos == m_end)
                return fail("unexpected end of input");
            if (*m_pos != '"')
                return fail("expected a string key");
            Member member;
            member.keyStart = m_out.size();
            member.keyLength = parseString(false);
            if (member.keyLength < 0)
                return false;
            member.keyData = m_out.size() - member.keyLength;
            skipSpace();
            if (m_pos == m_end || *m_pos != ':')
                return fail("expected ':'");
            ++m_pos;
            skipSpace();
            member.valueStart = m_out.size();
            if (!parseValue(depth))
                return false;
            member.valueEnd = m_out.size();
            member.duplicate = false;

            const size_t self = m_members.size();
            member.finalValue = qsizetype(self);
            size_t first = self;
            if (index) {
                auto it = index->constFind(keyBytes(member));
                if (it != index->constEnd())
                    first = it.value();
                else
                    index->insert(keyBytes(member), self);
            } else {
                for (size_t i = base; i < self; ++i) {
                    if (!m_members[i].duplicate && sameKey(m_members[i], member)) {
                        first = i;
                        break;
                    }
                }
            }
            if (first != self) {
                m_members[first].finalValue = qsizetype(self);
                member.duplicate = true;
                hasDuplicates = true;
            }
            m_members.push_back(member);
            if (!index && qsizetype(self - base) >= LinearKeyScanLimit) {
                index = std::make_unique<QHash<QByteArray, size_t>>();
                for (size_t i = base; i < m_members.size(); ++i) {
                    if (!m_members[i].duplicate)
                        index->insert(keyBytes(m_members[i]), i);
                }
            }

            skipSpace();
            if (m_pos == m_end)
                return fail("unexpected end of input");
            if (*m_pos == ',') {
                ++m_pos;
                continue;
            }
            if (*m_pos == '}') {
                ++m_pos;
                break;
            }
            return fail("expected ',' or '}'");
        }

        if (hasDuplicates)
            recordRewrite(base);
        m_members.resize(base);
        m_out.append(char(CborBreak));
        return true;
    }

    // Records that the object whose members start at m_members[base] keeps each key once, at its
    // first position, with the value of its last occurrence. Nothing is copied here: nested
    // objects may have rewrites of their own, applied by compact() within the ranges kept.
    void recordRewrite(size_t base)
    {
        Rewrite rewrite;
        rewrite.start = m_members[base].keyStart;
        rewrite.end = m_out.size();
        rewrite.firstPiece = m_pieces.size();
        for (size_t i = base; i < m_members.size(); ++i) {
            const Member &m = m_members[i];
            if (m.duplicate)
                continue;
            const Member &v = m_members[size_t(m.finalValue)];
            addPiece(rewrite.firstPiece, m.keyStart, m.valueStart);
            addPiece(rewrite.firstPiece, v.valueStart, v.valueEnd);
        }
        rewrite.pieceCount = m_pieces.size() - rewrite.firstPiece;
        m_rewrites.push_back(rewrite);
    }

    void addPiece(size_t firstPiece, qsizetype start, qsizetype end)
    {
        // members kept in place with their own values make one contiguous range
        if (m_pieces.size() > firstPiece && m_pieces.back().end == start)
            m_pieces.back().end = end;
        else
            m_pieces.push_back(Range{start, end});
    }

    // Applies every recorded rewrite in one pass: each byte kept is copied once.
    void compact()
    {
        // Objects close innermost first; copying walks the output from the front.
        std::sort(m_rewrites.begin(), m_rewrites.end(),
                  [](const Rewrite &a, const Rewrite &b) { return a.start < b.start; });
        QByteArray out;
        out.reserve(m_out.size());
        copyRange(out, 0, m_out.size());
        m_out = std::move(out);
    }

    // Copies m_out[start, end) to \a out, replacing the rewritten objects inside it. Recursion
    // follows the object nesting, so it is bounded by MaxJsonDepth.
    void copyRange(QByteArray &out, qsizetype start, qsizetype end) const
    {
        // Only objects starting after \a start are inside: the one starting at it is the object
        // whose kept piece this is (its first member begins where the object's members do).
        auto after = [this](std::vector<Rewrite>::const_iterator from, qsizetype p) {
            return std::upper_bound(from, m_rewrites.cend(), p,
                                    [](qsizetype value, const Rewrite &r) { return value < r.start; });
        };
        const char *data = m_out.constData();
        qsizetype pos = start;
        auto it = after(m_rewrites.cbegin(), pos);
        while (it != m_rewrites.cend() && it->start < end) {
            out.append(data + pos, it->start - pos);
            for (size_t i = it->firstPiece; i < it->firstPiece + it->pieceCount; ++i)
                copyRange(out, m_pieces[i].start, m_pieces[i].end);
            pos = it->end;
            // objects nested in the one just copied (or dropped with a duplicate) are done
            it = after(it + 1, pos);
        }
        out.append(data + pos, end - pos);
    }

    // Parses a JSON string at m_pos and appends it as a CBOR text string; returns the UTF-8
    // length of its content, or -1 on error. A lone surrogate escape ("\ud800") is kept when
    // \a keepLoneSurrogates (string values, as JSON.parse keeps it: the string is then written
    // as LoneSurrogateStringTag), else it becomes U+FFFD (object keys).
    qsizetype parseString(bool keepLoneSurrogates)
    {
        m_keepLone = keepLoneSurrogates;
        m_loneInString = false;
        ++m_pos; // opening quote
        const uchar *start = m_pos;
        // Fast path: no escapes, so the content can be copied as it is once its end is known.
        while (m_pos < m_end) {
            const uchar c = *m_pos;
            if (c == '"') {
                const qsizetype length = m_pos - start;
                appendHead(CborText, quint64(length));
                m_out.append(reinterpret_cast<const char *>(start), length);
                ++m_pos;
                return length;
            }
            if (c == '\\')
                break;
            if (c < 0x20) {
                fail("unescaped control character in string");
                return -1;
            }
            if (c < 0x80) {
                ++m_pos;
                continue;
            }
            const int n = Utf8::sequenceLength(m_pos, m_end);
            if (!n) {
                fail("invalid UTF-8");
                return -1;
            }
            m_pos += n;
        }
        if (m_pos == m_end) {
            fail("unterminated string");
            return -1;
        }

        // Slow path: decode escapes into a scratch buffer.
        m_scratch.clear();
        m_scratch.append(reinterpret_cast<const char *>(start), m_pos - start);
        while (m_pos < m_end) {
            const uchar c = *m_pos;
            if (c == '"') {
                ++m_pos;
                if (m_loneInString) {
                    appendLoneSurrogateString();
                    return m_scratch.size();
                }
                appendHead(CborText, quint64(m_scratch.size()));
                m_out.append(m_scratch);
                return m_scratch.size();
            }
            if (c == '\\') {
                if (!parseEscape())
                    return -1;
                continue;
            }
            if (c < 0x20) {
                fail("unescaped control character in string");
                return -1;
            }
            if (c < 0x80) {
                m_scratch.append(char(c));
                ++m_pos;
                continue;
            }
            const int n = Utf8::sequenceLength(m_pos, m_end);
            if (!n) {
                fail("invalid UTF-8");
                return -1;
            }
            m_scratch.append(reinterpret_cast<const char *>(m_pos), n);
            m_pos += n;
        }
        fail("unterminated string");
        return -1;
    }

    // Reads the four hex digits of a \u escape at m_pos (after "\u"); -1 if malformed.
    int readHex4()
    {
        if (m_end - m_pos < 4)
            return -1;
        int value = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = Bytes::hexDigitValue(m_pos[i]);
            if (h < 0)
                return -1;
            value = value * 16 + h;
        }
        m_pos += 4;
        return value;
    }

    void appendUtf8(char32_t cp)
    {
        char buf[4];
        int n;
        if (cp < 0x80) {
            buf[0] = char(cp);
            n = 1;
        } else if (cp < 0x800) {
            buf[0] = char(0xc0 | (cp >> 6));
            buf[1] = char(0x80 | (cp & 0x3f));
            n = 2;
        } else if (cp < 0x10000) {
            buf[0] = char(0xe0 | (cp >> 12));
            buf[1] = char(0x80 | ((cp >> 6) & 0x3f));
            buf[2] = char(0x80 | (cp & 0x3f));
            n = 3;
        } else {
            buf[0] = char(0xf0 | (cp >> 18));
            buf[1] = char(0x80 | ((cp >> 12) & 0x3f));
            buf[2] = char(0x80 | ((cp >> 6) & 0x3f));
            buf[3] = char(0x80 | (cp & 0x3f));
            n = 4;
        }
        m_scratch.append(buf, n);
    }

    bool parseEscape()
    {
        ++m_pos; // backslash
        if (m_pos == m_end)
            return fail("unterminated string");
        const uchar c = *m_pos++;
        switch (c) {
        case '"': m_scratch.append('"'); return true;
        case '\\': m_scratch.append('\\'); return true;
        case '/': m_scratch.append('/'); return true;
        case 'b': m_scratch.append('\b'); return true;
        case 'f': m_scratch.append('\f'); return true;
        case 'n': m_scratch.append('\n'); return true;
        case 'r': m_scratch.append('\r'); return true;
        case 't': m_scratch.append('\t'); return true;
        case 'u': break;
        default:
            --m_pos;
            return fail("invalid escape");
        }
        const int unit = readHex4();
        if (unit < 0)
            return fail("invalid \\u escape");
        if (unit >= 0xd800 && unit <= 0xdbff) {
            // A high surrogate combines with an immediately following low surrogate escape.
            if (m_end - m_pos >= 6 && m_pos[0] == '\\' && m_pos[1] == 'u') {
                const uchar *save = m_pos;
                m_pos += 2;
                const int low = readHex4();
                if (low >= 0xdc00 && low <= 0xdfff) {
                    appendUtf8(0x10000 + ((char32_t(unit) - 0xd800) << 10) + (char32_t(low) - 0xdc00));
                    return true;
                }
                m_pos = save; // not a pair: the next escape is decoded on its own
            }
            appendLoneSurrogate(char32_t(unit));
            return true;
        }
        if (unit >= 0xdc00 && unit <= 0xdfff)
            appendLoneSurrogate(char32_t(unit));
        else
            appendUtf8(char32_t(unit));
        return true;
    }

    // JSON.parse keeps a lone surrogate in the string. UTF-8 cannot carry it: it goes into the
    // scratch buffer in the generalised three-byte form, and the string is written as UTF-16
    // (appendLoneSurrogateString()); where it is not kept (keys) it becomes U+FFFD, as when
    // Node writes such a string as UTF-8.
    void appendLoneSurrogate(char32_t unit)
    {
        if (!m_keepLone) {
            appendUtf8(0xfffd);
            return;
        }
        appendUtf8(unit);
        m_loneInString = true;
    }

    // The string in m_scratch (UTF-8 with surrogates in the three-byte form) as its UTF-16 code
    // units under LoneSurrogateStringTag.
    void appendLoneSurrogateString()
    {
        QString text;
        text.reserve(m_scratch.size());
        const auto *p = reinterpret_cast<const uchar *>(m_scratch.constData());
        const uchar *const end = p + m_scratch.size();
        while (p < end) {
            const uchar b = *p;
            char32_t cp;
            if (b < 0x80) {
                cp = b;
                p += 1;
            } else if (b < 0xe0) {
                cp = (char32_t(b & 0x1f) << 6) | (p[1] & 0x3f);
                p += 2;
            } else if (b < 0xf0) {
                cp = (char32_t(b & 0x0f) << 12) | (char32_t(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
                p += 3;
            } else {
                cp = (char32_t(b & 0x07) << 18) | (char32_t(p[1] & 0x3f) << 12)
                    | (char32_t(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
                p += 4;
            }
            if (cp >= 0x10000) {
                text.append(QChar::highSurrogate(cp));
                text.append(QChar::lowSurrogate(cp));
            } else {
                text.append(QChar(char16_t(cp)));
            }
        }
        appendHead(CborTagMajor, LoneSurrogateStringTag);
        appendHead(CborBytes, quint64(text.size()) * 2);
        m_out.append(reinterpret_cast<const char *>(text.utf16()), text.size() * 2);
        m_loneSurrogates = true;
    }

    // The tree fromCbor() built, with every LoneSurrogateStringTag made a string again.
    static QCborValue restoreLoneSurrogates(const QCborValue &value, int depth)
    {
        if (value.isTag() && value.tag() == QCborTag(LoneSurrogateStringTag)) {
            const QByteArray units = value.taggedValue().toByteArray();
            return QCborValue(QString(reinterpret_cast<const QChar *>(units.constData()),
                                      units.size() / 2));
        }
        if (depth > MaxJsonDepth)
            return value;
        // In place, each element once: QCborMap::insert() would search its keys every time.
        if (value.isArray()) {
            QCborArray array = value.toArray();
            for (qsizetype i = 0; i < array.size(); ++i) {
                const QCborValue element = array.at(i);
                if (element.isTag() || element.isArray() || element.isMap())
                    array[i] = restoreLoneSurrogates(element, depth + 1);
            }
            return array;
        }
        if (value.isMap()) {
            QCborMap map = value.toMap();
            for (auto it = map.begin(); it != map.end(); ++it) {
                const QCborValue member = it.value();
                if (member.isTag() || member.isArray() || member.isMap())
                    it.value() = restoreLoneSurrogates(member, depth + 1);
            }
            return map;
        }
        return value;
    }

    bool parseNumber()
    {
        const uchar *start = m_pos;
        const bool negative = *m_pos == '-';
        if (negative)
            ++m_pos;
        if (m_pos == m_end || !isDigit(*m_pos))
            return fail("invalid number");
        const uchar *intStart = m_pos;
        if (*m_pos == '0') {
            ++m_pos;
            if (m_pos < m_end && isDigit(*m_pos))
                return fail("leading zero in number");
        } else {
            while (m_pos < m_end && isDigit(*m_pos))
                ++m_pos;
        }
        const qsizetype intDigits = m_pos - intStart;
        bool isInteger = true;
        if (m_pos < m_end && *m_pos == '.') {
            isInteger = false;
            ++m_pos;
            if (m_pos == m_end || !isDigit(*m_pos))
                return fail("invalid number");
            while (m_pos < m_end && isDigit(*m_pos))
                ++m_pos;
        }
        // Decimal exponent of the leading significant digit, for telling overflow from
        // underflow below; saturated so that absurd exponents cannot overflow it.
        qint64 magnitude = 0;
        if (*intStart != '0') {
            magnitude = intDigits;
        } else if (!isInteger) {
            const uchar *f = intStart + 2; // after "0."
            while (f < m_pos && *f == '0')
                ++f;
            magnitude = -(f - intStart - 2);
        }
        if (m_pos < m_end && (*m_pos == 'e' || *m_pos == 'E')) {
            isInteger = false;
            ++m_pos;
            bool negativeExponent = false;
            if (m_pos < m_end && (*m_pos == '+' || *m_pos == '-'))
                negativeExponent = *m_pos++ == '-';
            if (m_pos == m_end || !isDigit(*m_pos))
                return fail("invalid number");
            qint64 exponent = 0;
            while (m_pos < m_end && isDigit(*m_pos)) {
                exponent = qMin<qint64>(exponent * 10 + (*m_pos - '0'), 100000000);
                ++m_pos;
            }
            magnitude += negativeExponent ? -exponent : exponent;
        }

        // -0 stays a double so that it is still -0 for whoever asks (JSON output is "0").
        if (isInteger && intDigits <= 16 && !(negative && *intStart == '0')) {
            qint64 value = 0;
            for (const uchar *p = intStart; p < m_pos; ++p)
                value = value * 10 + (*p - '0');
            if (value <= MaxSafeInteger) {
                if (negative)
                    appendHead(CborNegative, quint64(value - 1));
                else
                    appendHead(CborUnsigned, quint64(value));
                return true;
            }
        }

        double d = 0;
        const auto result = std::from_chars(reinterpret_cast<const char *>(start),
                                            reinterpret_cast<const char *>(m_pos), d);
        if (result.ec == std::errc::result_out_of_range) {
            // JSON.parse gives Infinity or 0 here, depending on the magnitude.
            d = magnitude <= 0 ? 0.0 : std::numeric_limits<double>::infinity();
            if (negative)
                d = -d;
        } else if (result.ec != std::errc() || result.ptr != reinterpret_cast<const char *>(m_pos)) {
            return fail("invalid number");
        }
        appendDouble(d);
        return true;
    }

    const uchar *m_begin;
    const uchar *m_pos;
    const uchar *m_end;
    QByteArray m_out;
    QByteArray m_scratch;
    bool m_keepLone = false;         // the string being parsed keeps lone surrogates (a value)
    bool m_loneInString = false;     // ... and has one
    bool m_loneSurrogates = false;   // some string was written under LoneSurrogateStringTag
    std::vector<Member> m_members;
    std::vector<Rewrite> m_rewrites;
    std::vector<Range> m_pieces;
    const char *m_error = nullptr;
    qsizetype m_errorOffset = 0;
};

// ---------------------------------------------------------------------------------------------
// Direct reader (the common case)
//
// Builds the QCborValue tree while parsing, without the CBOR bytes and QCborValue::fromCbor()
// of Reader: about half the work for the small payloads of most packets. It only takes input
// whose every object has at most LinearKeyScanLimit members (so the key search of
// QCborMap::insert() stays bounded) and that has no escape sequences (the caller checks); on
// anything else, including every error, it gives up and Reader parses the input again, which
// also words the error. QCborMap::insert() keeps JavaScript's duplicate-key rule (the last
// value, at the first key's position).
// ---------------------------------------------------------------------------------------------

class DirectReader
{
public:
    explicit DirectReader(QByteArrayView json)
        : m_pos(reinterpret_cast<const uchar *>(json.data())), m_end(m_pos + json.size())
    {
    }

    // False: not handled here (unsupported or invalid); nothing is reported.
    bool parse(QCborValue *value, ReadInfo *info = nullptr)
    {
        if (info && info->separateFirstString)
            m_firstString = &info->firstString;
        skipSpace();
        QCborValue result;
        if (!parseValue(&result, 0))
            return false;
        skipSpace();
        if (m_pos != m_end)
            return false;
        *value = std::move(result);
        if (info)
            info->firstStringSeparated = m_firstStringSeparated;
        return true;
    }

private:
    void skipSpace()
    {
        while (m_pos < m_end && isJsonSpace(*m_pos))
            ++m_pos;
    }

    bool parseValue(QCborValue *out, int depth)
    {
        if (m_pos == m_end)
            return false;
        switch (*m_pos) {
        case '{':
            return parseObject(out, depth + 1);
        case '[':
            return parseArray(out, depth + 1);
        case '"': {
            const uchar *start;
            qsizetype length;
            bool ascii;
            if (!parseString(&start, &length, &ascii))
                return false;
            const char *chars = reinterpret_cast<const char *>(start);
            *out = ascii ? QCborValue(QLatin1StringView(chars, length))
                         : QCborValue(QString::fromUtf8(chars, length));
            return true;
        }
        case 't':
            return parseLiteral("true", 4, QCborValue(true), out);
        case 'f':
            return parseLiteral("false", 5, QCborValue(false), out);
        case 'n':
            return parseLiteral("null", 4, QCborValue(nullptr), out);
        default:
            return parseNumber(out);
        }
    }

    bool parseLiteral(const char *word, qsizetype length, QCborValue literal, QCborValue *out)
    {
        if (m_end - m_pos < length || std::memcmp(m_pos, word, size_t(length)) != 0)
            return false;
        m_pos += length;
        *out = std::move(literal);
        return true;
    }

    bool parseArray(QCborValue *out, int depth)
    {
        if (depth > MaxJsonDepth)
            return false;
        ++m_pos; // '['
        QCborArray array;
        skipSpace();
        if (m_pos < m_end && *m_pos == ']') {
            ++m_pos;
            *out = std::move(array);
            return true;
        }
        for (;;) {
            skipSpace();
            if (depth == 1 && !m_firstElementDone && m_firstString && m_pos < m_end && *m_pos == '"') {
                // the event name: one QString, no QCborValue and no array element for it
                const uchar *start;
                qsizetype length;
                bool ascii;
                if (!parseString(&start, &length, &ascii))
                    return false;
                const char *chars = reinterpret_cast<const char *>(start);
                *m_firstString = ascii ? QString::fromLatin1(chars, length) : QString::fromUtf8(chars, length);
                m_firstStringSeparated = true;
                m_firstElementDone = true;
            } else {
                QCborValue element;
                if (!parseValue(&element, depth))
                    return false;
                if (depth == 1)
                    m_firstElementDone = true;
                array.append(std::move(element));
            }
            skipSpace();
            if (m_pos == m_end)
                return false;
            if (*m_pos == ',') {
                ++m_pos;
                continue;
            }
            if (*m_pos != ']')
                return false;
            ++m_pos;
            *out = std::move(array);
            return true;
        }
    }

    bool parseObject(QCborValue *out, int depth)
    {
        if (depth > MaxJsonDepth)
            return false;
        ++m_pos; // '{'
        QCborMap map;
        skipSpace();
        if (m_pos < m_end && *m_pos == '}') {
            ++m_pos;
            *out = std::move(map);
            return true;
        }
        for (qsizetype members = 0;; ++members) {
            if (members >= LinearKeyScanLimit)
                return false;
            skipSpace();
            if (m_pos == m_end || *m_pos != '"')
                return false;
            const uchar *key;
            qsizetype keyLength;
            bool ascii;
            if (!parseString(&key, &keyLength, &ascii))
                return false;
            skipSpace();
            if (m_pos == m_end || *m_pos != ':')
                return false;
            ++m_pos;
            skipSpace();
            QCborValue value;
            if (!parseValue(&value, depth))
                return false;
            const char *chars = reinterpret_cast<const char *>(key);
            // insert() keeps JavaScript's rule for a key seen before: its first position, the
            // last value (moving the value in costs more than copying it: Qt 6.4 copies a
            // string's bytes either way and then takes a slower path to free the moved-from
            // container)
            if (ascii)
                map.insert(QLatin1StringView(chars, keyLength), value);
            else
                map.insert(QString::fromUtf8(chars, keyLength), value);
            skipSpace();
            if (m_pos == m_end)
                return false;
            if (*m_pos == ',') {
                ++m_pos;
                continue;
            }
            if (*m_pos != '}')
                return false;
            ++m_pos;
            *out = std::move(map);
            return true;
        }
    }

    // Skips 8 bytes at a time while none of them is '"', a control character or non-ASCII (a
    // backslash cannot occur here); the byte loop of parseString() looks at whatever stopped it.
    void skipPlainAscii()
    {
        constexpr quint64 ones = 0x0101010101010101ull;
        constexpr quint64 high = 0x8080808080808080ull;
        while (m_end - m_pos >= 8) {
            quint64 w;
            std::memcpy(&w, m_pos, sizeof w);
            const quint64 quote = w ^ (ones * '"');
            // per byte, exact as a whole: a zero byte in `quote`, a byte below 0x20, a byte >= 0x80
            const quint64 special = ((quote - ones) & ~quote) | ((w - ones * 0x20) & ~w) | w;
            if (special & high)
                return;
            m_pos += 8;
        }
    }

    // A string without escapes (the caller made sure there are none): its UTF-8 content.
    bool parseString(const uchar **start, qsizetype *length, bool *ascii)
    {
        ++m_pos; // opening quote
        const uchar *const begin = m_pos;
        bool onlyAscii = true;
        while (m_pos < m_end) {
            skipPlainAscii();
            if (m_pos == m_end)
                break;
            const uchar c = *m_pos;
            if (c == '"') {
                *start = begin;
                *length = m_pos - begin;
                *ascii = onlyAscii;
                ++m_pos;
                return true;
            }
            if (c < 0x20 || c == '\\')
                return false;
            if (c < 0x80) {
                ++m_pos;
                continue;
            }
            const int n = Utf8::sequenceLength(m_pos, m_end);
            if (!n)
                return false;
            onlyAscii = false;
            m_pos += n;
        }
        return false;
    }

    // JSON number grammar as Reader checks it; integers within 2^53 (not -0) become integers,
    // the rest doubles; a magnitude from_chars cannot represent is left to Reader.
    bool parseNumber(QCborValue *out)
    {
        const uchar *const start = m_pos;
        const bool negative = *m_pos == '-';
        if (negative)
            ++m_pos;
        if (m_pos == m_end || !isDigit(*m_pos))
            return false;
        const uchar *const intStart = m_pos;
        if (*m_pos == '0') {
            ++m_pos;
            if (m_pos < m_end && isDigit(*m_pos))
                return false;
        } else {
            while (m_pos < m_end && isDigit(*m_pos))
                ++m_pos;
        }
        const qsizetype intDigits = m_pos - intStart;
        bool isInteger = true;
        if (m_pos < m_end && *m_pos == '.') {
            isInteger = false;
            ++m_pos;
            if (m_pos == m_end || !isDigit(*m_pos))
                return false;
            while (m_pos < m_end && isDigit(*m_pos))
                ++m_pos;
        }
        if (m_pos < m_end && (*m_pos == 'e' || *m_pos == 'E')) {
            isInteger = false;
            ++m_pos;
            if (m_pos < m_end && (*m_pos == '+' || *m_pos == '-'))
                ++m_pos;
            if (m_pos == m_end || !isDigit(*m_pos))
                return false;
            while (m_pos < m_end && isDigit(*m_pos))
                ++m_pos;
        }
        if (isInteger && intDigits <= 16 && !(negative && *intStart == '0')) {
            qint64 value = 0;
            for (const uchar *p = intStart; p < m_pos; ++p)
                value = value * 10 + (*p - '0');
            if (value <= MaxSafeInteger) {
                *out = QCborValue(negative ? -value : value);
                return true;
            }
        }
        double d = 0;
        const auto result = std::from_chars(reinterpret_cast<const char *>(start),
                                            reinterpret_cast<const char *>(m_pos), d);
        if (result.ec != std::errc() || result.ptr != reinterpret_cast<const char *>(m_pos))
            return false;
        *out = QCborValue(d);
        return true;
    }

    const uchar *m_pos;
    const uchar *m_end;
    QString *m_firstString = nullptr;   // where the top-level array's first string goes
    bool m_firstElementDone = false;    // of the top-level array
    bool m_firstStringSeparated = false;
};

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

// Uniform access to a top-level QCborValue and to an element of an array or map.
inline QCborValue::Type typeOf(const QCborValue &v) { return v.type(); }
inline QCborValue::Type typeOf(QCborValueConstRef v) { return CborElement::type(v); }
inline qint64 integerOf(const QCborValue &v) { return v.toInteger(); }
inline qint64 integerOf(QCborValueConstRef v) { return CborElement::integer(v); }
inline double doubleOf(const QCborValue &v) { return v.toDouble(); }
inline double doubleOf(QCborValueConstRef v) { return CborElement::toDouble(v); }
inline QString stringOf(const QCborValue &v) { return v.toString(); }
inline QString stringOf(QCborValueConstRef v) { return CborElement::string(v); }
inline QByteArray bytesOf(const QCborValue &v) { return v.toByteArray(); }
inline QByteArray bytesOf(QCborValueConstRef v) { return CborElement::bytes(v); }
inline QCborValue concreteOf(const QCborValue &v) { return v; }
inline QCborValue concreteOf(QCborValueConstRef v) { return QCborValue(v); }

// Writes into one buffer that grows geometrically (written through a pointer, cut to size once
// at the end): no QByteArray::append() per token.
class Writer
{
public:
    explicit Writer(QList<QByteArray> *attachments, QByteArray buffer = QByteArray())
        : m_out(std::move(buffer)), m_len(m_out.size()), m_attachments(attachments)
    {
    }

    QByteArray take()
    {
        m_out.truncate(m_len);
        // growth doubles the buffer: give back a large unused tail
        if (m_out.capacity() - m_len > 1024 && m_out.capacity() > 2 * m_len)
            m_out.squeeze();
        return std::move(m_out);
    }

    template <typename V>
    void writeValue(const V &value, int depth)
    {
        switch (typeOf(value)) {
        case QCborValue::Integer:
            writeInteger(integerOf(value));
            return;
        case QCborValue::Double:
            writeDouble(doubleOf(value));
            return;
        case QCborValue::String:
            writeString(stringOf(value));
            return;
        case QCborValue::True:
            put("true", 4);
            return;
        case QCborValue::False:
            put("false", 5);
            return;
        case QCborValue::ByteArray:
            writeBytes(bytesOf(value));
            return;
        case QCborValue::Array:
            if (depth >= MaxJsonDepth) {
                // The reader would refuse it anyway; bounded recursion beats a stack overflow.
                put("null", 4);
                return;
            }
            writeArray(concreteOf(value).toArray(), depth + 1);
            return;
        case QCborValue::Map:
            if (depth >= MaxJsonDepth) {
                put("null", 4);
                return;
            }
            writeMap(concreteOf(value).toMap(), depth + 1);
            return;
        default: {
            const QCborValue v = concreteOf(value);
            if (v.isTag()) {
                writeValue(v.taggedValue(), depth);
                return;
            }
            // null, undefined (in arrays), simple types, invalid
            put("null", 4);
            return;
        }
        }
    }

    void writeString(QStringView s)
    {
        // Room for one byte per UTF-16 unit (printable ASCII, the common case); any other unit
        // makes sure there is room for its bytes and one per unit left before writing them.
        const char16_t *p = s.utf16();
        const char16_t *const end = p + s.size();
        char *out = space(2 + s.size());
        char *limit = m_out.data() + m_out.size();
        const auto ensure = [&](qsizetype bytes) {
            const qsizetype needed = bytes + (end - p) + 1;   // + closing quote
            if (limit - out < needed) {
                const qsizetype used = out - m_out.constData();
                grow(used, needed);
                out = m_out.data() + used;
                limit = m_out.data() + m_out.size();
            }
        };
        static const char hex[] = "0123456789abcdef";
        *out++ = '"';
        while (p < end) {
            const char16_t c = *p++;
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    *out++ = char(c);
                    continue;
                }
                ensure(6);
                *out++ = '\\';
                switch (c) {
                case '"': *out++ = '"'; break;
                case '\\': *out++ = '\\'; break;
                case '\b': *out++ = 'b'; break;
                case '\f': *out++ = 'f'; break;
                case '\n': *out++ = 'n'; break;
                case '\r': *out++ = 'r'; break;
                case '\t': *out++ = 't'; break;
                default:
                    *out++ = 'u';
                    *out++ = '0';
                    *out++ = '0';
                    *out++ = hex[c >> 4];
                    *out++ = hex[c & 0xf];
                }
            } else if (c < 0x800) {
                ensure(2);
                *out++ = char(0xc0 | (c >> 6));
                *out++ = char(0x80 | (c & 0x3f));
            } else if (c >= 0xd800 && c <= 0xdfff) {
                if (c <= 0xdbff && p < end && *p >= 0xdc00 && *p <= 0xdfff) {
                    const char32_t cp = 0x10000 + ((char32_t(c) - 0xd800) << 10) + (*p++ - 0xdc00);
                    ensure(4);
                    *out++ = char(0xf0 | (cp >> 18));
                    *out++ = char(0x80 | ((cp >> 12) & 0x3f));
                    *out++ = char(0x80 | ((cp >> 6) & 0x3f));
                    *out++ = char(0x80 | (cp & 0x3f));
                } else {
                    // A lone surrogate has no UTF-8 form; JSON.stringify (ES2019) escapes it.
                    ensure(6);
                    *out++ = '\\';
                    *out++ = 'u';
                    *out++ = hex[c >> 12];
                    *out++ = hex[(c >> 8) & 0xf];
                    *out++ = hex[(c >> 4) & 0xf];
                    *out++ = hex[c & 0xf];
                }
            } else {
                ensure(3);
                *out++ = char(0xe0 | (c >> 12));
                *out++ = char(0x80 | ((c >> 6) & 0x3f));
                *out++ = char(0x80 | (c & 0x3f));
            }
        }
        *out++ = '"';
        m_len = out - m_out.constData();
    }

    qsizetype size() const { return m_len; }

private:
    // Makes room for \a n more bytes after m_len; returns where they go.
    char *space(qsizetype n)
    {
        if (m_out.size() - m_len < n)
            grow(m_len, n);
        return m_out.data() + m_len;
    }

    void grow(qsizetype used, qsizetype n)
    {
        m_out.resize(std::max<qsizetype>({used + n, 2 * m_out.size(), 128}));
    }

    void put(const char *s, qsizetype n)
    {
        std::memcpy(space(n), s, size_t(n));
        m_len += n;
    }

    void put(char c)
    {
        *space(1) = c;
        ++m_len;
    }

    void writeInteger(qint64 v)
    {
        char *out = space(24);
        m_len += std::to_chars(out, out + 24, v).ptr - out;
    }

    void writeDouble(double d)
    {
        if (!std::isfinite(d)) {
            put("null", 4);
            return;
        }
        if (d == 0) { // also -0, which JavaScript prints as 0
            put('0');
            return;
        }
        // Shortest round-trip digits, then laid out like ECMAScript Number::toString.
        char sci[40];
        const auto r = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific);
        const char *p = sci;
        const char *const end = r.ptr;
        char digits[24];
        int k = 0;
        const bool negative = *p == '-';
        if (negative)
            ++p;
        while (p < end && *p != 'e') {
            if (*p != '.')
                digits[k++] = *p;
            ++p;
        }
        int exponent = 0;
        std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
        const int n = exponent + 1; // position of the decimal point relative to the digits

        char buf[64];
        char *o = buf;
        if (negative)
            *o++ = '-';
        if (k <= n && n <= 21) {
            std::memcpy(o, digits, size_t(k));
            o += k;
            for (int i = k; i < n; ++i)
                *o++ = '0';
        } else if (0 < n && n <= 21) {
            std::memcpy(o, digits, size_t(n));
            o += n;
            *o++ = '.';
            std::memcpy(o, digits + n, size_t(k - n));
            o += k - n;
        } else if (-6 < n && n <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -n; ++i)
                *o++ = '0';
            std::memcpy(o, digits, size_t(k));
            o += k;
        } else {
            *o++ = digits[0];
            if (k > 1) {
                *o++ = '.';
                std::memcpy(o, digits + 1, size_t(k - 1));
                o += k - 1;
            }
            *o++ = 'e';
            *o++ = n - 1 >= 0 ? '+' : '-';
            o = std::to_chars(o, buf + sizeof buf, std::abs(n - 1)).ptr;
        }
        put(buf, o - buf);
    }

    void writeBytes(const QByteArray &bytes)
    {
        if (!m_attachments) {
            put("null", 4);
            return;
        }
        static constexpr char placeholder[] = "{\"_placeholder\":true,\"num\":";
        put(placeholder, sizeof placeholder - 1);
        writeInteger(m_attachments->size());
        put('}');
        m_attachments->append(bytes);
    }

    void writeArray(const QCborArray &array, int depth)
    {
        put('[');
        bool first = true;
        for (auto it = array.constBegin(), end = array.constEnd(); it != end; ++it) {
            if (!first)
                put(',');
            first = false;
            writeValue(*it, depth);
        }
        put(']');
    }

    static bool isDropped(QCborValueConstRef v)
    {
        // JSON.stringify leaves out members whose value is undefined.
        const QCborValue::Type type = typeOf(v);
        if (type == QCborValue::Undefined || type == QCborValue::Invalid)
            return true;
        if (type != QCborValue::Tag && type < 0x10000)
            return false;
        return isDropped(QCborValue(v).taggedValue());
    }
    static bool isDropped(const QCborValue &v)
    {
        return v.isUndefined() || v.isInvalid() || (v.isTag() && isDropped(v.taggedValue()));
    }

    void writeKey(QCborValueConstRef key)
    {
        switch (typeOf(key)) {
        case QCborValue::String:
            writeString(stringOf(key));
            return;
        case QCborValue::Integer: {
            char buf[24];
            const auto r = std::to_chars(buf, buf + sizeof buf, integerOf(key));
            writeString(QString::fromLatin1(buf, r.ptr - buf));
            return;
        }
        case QCborValue::Double: {
            // Reuse the number layout so that 1.5 -> "1.5" and 1e21 -> "1e+21" like JS keys.
            Writer w(nullptr);
            w.writeDouble(doubleOf(key));
            writeString(QString::fromLatin1(w.take()));
            return;
        }
        case QCborValue::True:
            writeString(u"true");
            return;
        case QCborValue::False:
            writeString(u"false");
            return;
        case QCborValue::Null:
            writeString(u"null");
            return;
        case QCborValue::Undefined:
            writeString(u"undefined");
            return;
        default:
            writeString(QCborValue(key).toDiagnosticNotation());
            return;
        }
    }

    void writeMap(const QCborMap &map, int depth)
    {
        put('{');
        bool first = true;
        for (auto it = map.constBegin(), end = map.constEnd(); it != end; ++it) {
            const auto member = *it;   // key and value, both read in place
            if (isDropped(member.second))
                continue;
            if (!first)
                put(',');
            first = false;
            writeKey(member.first);
            put(':');
            writeValue(member.second, depth);
        }
        put('}');
    }

    QByteArray m_out;     // m_out.size() is the room allocated, m_len what is written
    qsizetype m_len;
    QList<QByteArray> *m_attachments;
};

bool hasBinaryImpl(const QCborValue &value, int depth)
{
    switch (value.type()) {
    case QCborValue::ByteArray:
        return true;
    case QCborValue::Array:
        // Same depth bound as the writer, which writes deeper containers as null.
        if (depth >= MaxJsonDepth)
            return false;
        for (const QCborValue &v : value.toArray()) {
            if (hasBinaryImpl(v, depth + 1))
                return true;
        }
        return false;
    case QCborValue::Map: {
        if (depth >= MaxJsonDepth)
            return false;
        const QCborMap map = value.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            if (hasBinaryImpl(it.value(), depth + 1))
                return true;
        }
        return false;
    }
    default:
        return value.isTag() && hasBinaryImpl(value.taggedValue(), depth);
    }
}

} // namespace

QByteArray write(const QCborValue &value, QList<QByteArray> *attachments)
{
    Writer writer(attachments);
    writer.writeValue(value, 0);
    return writer.take();
}

void writeTo(QByteArray *out, const QCborValue &value, QList<QByteArray> *attachments)
{
    Writer writer(attachments, std::move(*out));
    writer.writeValue(value, 0);
    *out = writer.take();
}

void writeStringTo(QByteArray *out, QStringView string)
{
    Writer writer(nullptr, std::move(*out));
    writer.writeString(string);
    *out = writer.take();
}

bool read(QByteArrayView json, QCborValue *value, QString *error, ReadInfo *info)
{
    const bool separate = info && info->separateFirstString;
    const auto resetInfo = [info, separate] {
        if (info) {
            *info = ReadInfo();
            info->separateFirstString = separate;
        }
    };
    resetInfo();
    // Escapes are rare in practice; input with them goes straight to Reader.
    if (!json.isEmpty() && !std::memchr(json.data(), '\\', size_t(json.size()))) {
        QCborValue direct;
        if (DirectReader(json).parse(&direct, info)) {
            if (value)
                *value = std::move(direct);
            return true;
        }
        resetInfo();
    }
    Reader reader(json);
    QCborValue result;
    if (!reader.parse(&result, error))
        return false;
    if (separate && result.isArray()) {
        QCborArray array = result.toArray();
        result = QCborValue();
        if (!array.isEmpty() && CborElement::type(*array.constBegin()) == QCborValue::String) {
            info->firstString = CborElement::string(*array.constBegin());
            info->firstStringSeparated = true;
            array.removeFirst();
        }
        result = std::move(array);
    }
    if (value)
        *value = std::move(result);
    return true;
}

bool read(QByteArrayView json, QCborValue *value, QString *error)
{
    return read(json, value, error, nullptr);
}

bool hasBinary(const QCborValue &value)
{
    return hasBinaryImpl(value, 0);
}

} // namespace SocketIo::Protocol::Json
