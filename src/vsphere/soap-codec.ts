import { SoapFault, type SoapFaultCode } from './soap-fault.js';
import {
  codecError, INTERNAL_VIM25_NS, readDataObject, readElement, readFields, typeForClient, VIM25_NS, writeDataObject,
  writeElement, writeField, type WriteOptions,
} from './vim-value-codec.js';
import { vimMethods, type VimMethod } from './vim-methods.js';
import { vimTypes, type DataObject, type ManagedObjectReference } from './vim-types.js';
import { readXml, XSD_NS, XSI_NS, type XmlElement, type XmlLimits } from './xml-reader.js';
import { XmlWriter } from './xml-writer.js';

/**
 * vim25 SOAP 1.1 envelopes, free of I/O: requests (client encodes, host decodes), responses (host
 * encodes, client decodes) and faults (both ways). Values are typed by vim-methods.ts and
 * vim-types.ts; every decoding failure is a VixError (VIX_E_INVALID_ARG) with one precise line.
 */

export const SOAPENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAPENC_NS = 'http://schemas.xmlsoap.org/soap/encoding/';

/** The prefixes real servers declare on the envelope (vcsim copies vCenter's). */
const ENVELOPE_OPEN = '<?xml version="1.0" encoding="UTF-8"?>'
  + `<soapenv:Envelope xmlns:soapenc="${SOAPENC_NS}" xmlns:soapenv="${SOAPENV_NS}"`
  + ` xmlns:xsd="${XSD_NS}" xmlns:xsi="${XSI_NS}"><soapenv:Body>`;
const ENVELOPE_CLOSE = '</soapenv:Body></soapenv:Envelope>';

/**
 * Bounds for a request body a host reads from a client it does not trust yet: vim25 requests are
 * small (the largest, a ReconfigVM_Task spec or a PropertyFilterSpec, are a few KB), so a
 * hostile body stops early and costs little. Responses a client reads use DEFAULT_XML_LIMITS.
 */
export const SOAP_REQUEST_LIMITS: XmlLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 50_000,
  maxAttributesPerElement: 16,
  maxTextLength: 1024 * 1024,
};

/** A decoded request: the method, the object it is called on, and its typed arguments. */
export interface SoapRequest {
  method: VimMethod;
  this: ManagedObjectReference;
  args: Record<string, unknown>;
}

function methodNamed(name: string): VimMethod {
  const method = vimMethods.get(name);
  if (!method) throw codecError(name, `unknown method '${name}'`);
  return method;
}

// ---------------------------------------------------------------- requests

/** The envelope a client POSTs to /sdk for `methodName` on `target` with `args` by parameter name. */
export function encodeRequest(methodName: string, target: ManagedObjectReference, args: Record<string, unknown> = {}): string {
  const method = methodNamed(methodName);
  for (const name of Object.keys(args)) {
    if (!method.params.some((p) => p.name === name)) throw codecError(methodName, `unknown parameter '${name}'`);
  }
  const w = new XmlWriter().raw(ENVELOPE_OPEN).open(method.name, { xmlns: method.namespace ?? VIM25_NS });
  writeElement(w, '_this', 'ManagedObjectReference', target, `${methodName}._this`);
  for (const param of method.params) writeField(w, param, args[param.name], `${methodName}.${param.name}`);
  return w.close(method.name).raw(ENVELOPE_CLOSE).toString();
}

/** The host side: parse a request body under `limits` and type its arguments by the method table. */
export function decodeRequest(body: Buffer | string, limits: Partial<XmlLimits> = {}): SoapRequest {
  const call = bodyElement(readXml(body, { ...SOAP_REQUEST_LIMITS, ...limits }));
  if (call.ns === SOAPENV_NS && call.name === 'Fault') throw codecError('Body', 'a request cannot be a Fault');
  const method = methodNamed(call.name);
  if (call.ns !== VIM25_NS && call.ns !== INTERNAL_VIM25_NS && !method.alsoAccepted?.includes(call.ns)) {
    throw codecError(call.name, `method element in namespace '${call.ns}', not urn:vim25`);
  }
  const [first, ...rest] = call.children;
  if (first?.name !== '_this') throw codecError(method.name, '_this must come first');
  const target = readElement(first, 'ManagedObjectReference', `${method.name}._this`) as ManagedObjectReference;
  return { method, this: target, args: readFields(rest, method.params, method.name, true) };
}

// ---------------------------------------------------------------- responses

/**
 * The API version a client declared in its SOAPAction header (`urn:vim25/6.7.1`, quoted or not),
 * or undefined when it names none: what a host passes as WriteOptions.apiVersion.
 */
export function apiVersionOfSoapAction(soapAction: string | undefined): string | undefined {
  const m = /^"?urn:(?:internal)?vim25\/(\d+(?:\.\d+){0,3})"?$/.exec(soapAction?.trim() ?? '');
  return m?.[1];
}

/**
 * The envelope a host answers with: `<XResponse><returnval>…` (none for a void method), written
 * for a client of `options.apiVersion` (fields and types it does not know are left out or narrowed).
 */
export function encodeResponse(methodName: string, returnval?: unknown, options: WriteOptions = {}): string {
  const method = methodNamed(methodName);
  const name = `${method.name}Response`;
  const w = new XmlWriter().raw(ENVELOPE_OPEN);
  if (!method.returns || returnval === undefined || returnval === null) {
    if (method.returns && !method.returns.optional && !method.returns.array) {
      throw codecError(name, `required ${method.returns.type} is missing`);
    }
    w.raw(`<${name} xmlns="${VIM25_NS}"/>`);
  } else {
    w.open(name, { xmlns: VIM25_NS });
    writeField(w, method.returns, returnval, `${name}.returnval`, options);
    w.close(name);
  }
  return w.raw(ENVELOPE_CLOSE).toString();
}

/** The client side: the typed `returnval` of a response (undefined for void), or the SoapFault it carries, thrown. */
export function decodeResponse(methodName: string, body: Buffer | string, limits: Partial<XmlLimits> = {}): unknown {
  const method = methodNamed(methodName);
  const reply = bodyElement(readXml(body, limits));
  if (reply.ns === SOAPENV_NS && reply.name === 'Fault') throw readFault(reply);
  const name = `${method.name}Response`;
  if (reply.name !== name) throw codecError(name, `expected <${name}>, got <${reply.name}>`);
  if (!method.returns) return undefined;
  const fields = readFields(reply.children, [method.returns], name, false);
  return fields.returnval;
}

// ---------------------------------------------------------------- faults

/** The envelope of a SOAP fault (HTTP 500): faultcode, faultstring, and `<XFault xsi:type="X">` in detail. */
export function encodeFault(fault: SoapFault, options?: WriteOptions): string;
export function encodeFault(
  fault: DataObject & { _type: string }, faultString: string, faultCode?: SoapFaultCode, options?: WriteOptions,
): string;
export function encodeFault(
  fault: SoapFault | (DataObject & { _type: string }), faultStringOrOptions?: string | WriteOptions, faultCode?: SoapFaultCode,
  options?: WriteOptions,
): string {
  const f = fault instanceof SoapFault ? fault : new SoapFault(fault, typeof faultStringOrOptions === 'string' ? faultStringOrOptions : '', faultCode);
  const writeOptions = (fault instanceof SoapFault ? (faultStringOrOptions as WriteOptions | undefined) : options) ?? {};
  if (!vimTypes.isA(f.fault._type, 'MethodFault')) throw codecError('Fault', `${f.fault._type} is not a MethodFault`);
  // A client reads the detail's element name as its type: name the type it knows.
  const typeName = typeForClient(f.fault._type, 'MethodFault', writeOptions);
  const w = new XmlWriter().raw(ENVELOPE_OPEN).open('soapenv:Fault')
    .leaf('faultcode', f.faultCode)
    .leaf('faultstring', f.faultString)
    .open('detail');
  // The detail element always names its type and sits in urn:vim25 (vcsim and real hosts alike).
  writeDataObject(w, `${typeName}Fault`, typeName, f.fault, 'Fault.detail', true, VIM25_NS, writeOptions);
  return w.close('detail').close('soapenv:Fault').raw(ENVELOPE_CLOSE).toString();
}

function readFault(el: XmlElement): SoapFault {
  const child = (name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
  const faultCode = child('faultcode')?.text.trim() ?? '';
  const faultString = child('faultstring')?.text ?? '';
  const typed = child('detail')?.children[0];
  if (!typed) return new SoapFault({ _type: 'MethodFault' }, faultString || faultCode, faultCode);
  const typeName = typed.xsiType?.name ?? typed.name.replace(/Fault$/, '');
  // A fault type this codec does not define yet (a newer server): keep its name, read it as a MethodFault.
  const known = vimTypes.isA(typeName, 'MethodFault');
  const fault = readDataObject(typed, known ? typeName : 'MethodFault', 'Fault.detail');
  return new SoapFault({ ...fault, _type: typeName }, faultString, faultCode);
}

// ---------------------------------------------------------------- envelope

function bodyElement(root: XmlElement): XmlElement {
  if (root.ns !== SOAPENV_NS || root.name !== 'Envelope') {
    throw codecError('Envelope', `root element <${root.name}> in '${root.ns}' is not a SOAP 1.1 Envelope`);
  }
  const bodies = root.children.filter((c) => c.ns === SOAPENV_NS && c.name === 'Body');
  if (bodies.length !== 1) throw codecError('Envelope', `${bodies.length} Body elements (want exactly one)`);
  const content = bodies[0]!.children;
  if (content.length !== 1) throw codecError('Body', `${content.length} elements in Body (want exactly one)`);
  return content[0]!;
}
