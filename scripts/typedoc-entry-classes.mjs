// A TypeDoc plugin (typedoc.json) for two things this API does that TypeDoc does not follow alone:
// - Each entry point exports its classes as constants of the shared class's type (src/index.ts:
//   `export const RAdam = classes.RAdam`, the entry's own subclass with its kernel source), marked
//   `@class` so that TypeDoc documents them as classes. References elsewhere in the API
//   (`Lookahead.optimizer: RAdam`) name the shared class, which no entry exports under its own
//   name: it is registered as the entry's class of the same name, so that they link there instead
//   of failing validation as not exported.
// - An accessor's doc comment is written once, on its getter; TypeDoc puts it on the get signature
//   only and would report the set signature as not documented: the setter gets the getter's comment.
// And one check of its own: every public function, method and getter says what it returns (no
// `any`, `unknown` or `Promise<unknown>`), a warning, so an error under treatWarningsAsErrors.
import { Converter, IntrinsicType, ReferenceType, ReflectionKind } from 'typedoc';
import ts from 'typescript';

export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Class)) return;
    const symbol = context.getSymbolFromReflection(reflection);
    if (!symbol?.valueDeclaration || !(symbol.flags & ts.SymbolFlags.Variable)) return;
    const type = context.checker.getTypeOfSymbol(symbol);
    const shared = type.getConstructSignatures()[0]?.getReturnType().getSymbol();
    if (shared && shared !== symbol && shared.name === reflection.name) {
      context.project.registerReflection(reflection, context.createSymbolId(shared), undefined);
    }
  });
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const accessor of context.project.getReflectionsByKind(ReflectionKind.Accessor)) {
      const { getSignature: get, setSignature: set } = accessor;
      if (get?.comment && set && !set.comment && !accessor.comment) set.comment = get.comment.clone();
    }
  });
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const vague = (t) => t instanceof IntrinsicType && (t.name === 'any' || t.name === 'unknown');
    const kinds = ReflectionKind.CallSignature | ReflectionKind.GetSignature;
    for (const sig of context.project.getReflectionsByKind(kinds)) {
      const t = sig.type;
      if (vague(t) || (t instanceof ReferenceType && t.name === 'Promise' && t.typeArguments?.some(vague))) {
        app.logger.warn(`${sig.getFriendlyFullName()} returns ${t.toString()}: say what it returns`);
      }
    }
  });
}
